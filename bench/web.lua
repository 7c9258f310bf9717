-- bench/web's load, run by wrk (`wrk -t N -c N -s bench/web.lua URL`):
-- one connection per thread, each thread with its own signed-in session,
-- each request the inbox or a random case's workspace, half and half.
--
-- bench/web signs the sessions in first and names two files in the
-- environment: LANTERN_BENCH_WEB_COOKIES (one Cookie header value a line,
-- one per thread) and LANTERN_BENCH_WEB_REFS (one case reference a line).
-- Each thread times its own requests (monotonic clock, from the moment wrk
-- asks for the request to its response) and keeps them per page; `done`
-- prints one line per page,
--   page NAME requests P50_MS P95_MS P99_MS MAX_MS
-- and `errors NON_200 CONNECT READ WRITE TIMEOUT`, for bench/web to read.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_web_timespec;
int clock_gettime(int clock, bench_web_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_web_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local function lines(path)
  local out = {}
  local f = assert(io.open(path, "r"), "cannot read " .. tostring(path))
  for line in f:lines() do
    if line ~= "" then
      out[#out + 1] = line
    end
  end
  f:close()
  return out
end

-- In wrk's main thread, once per thread: its session and its number.
local threads = {}
local cookies = nil

function setup(thread)
  cookies = cookies or lines(os.getenv("LANTERN_BENCH_WEB_COOKIES"))
  local n = #threads + 1
  assert(cookies[n], "fewer signed-in sessions than wrk threads")
  thread:set("cookie", cookies[n])
  thread:set("number", n)
  threads[n] = thread
end

-- In each thread.
local refs, page, started
inbox_ms, workspace_ms, non_200 = {}, {}, 0

function init(args)
  refs = lines(os.getenv("LANTERN_BENCH_WEB_REFS"))
  math.randomseed(1000 + number)
end

function request()
  local path
  if math.random() < 0.5 then
    page, path = "inbox", "/inbox"
  else
    page, path = "workspace", "/cases/" .. refs[math.random(#refs)]
  end
  started = now_ms()
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  local ms = now_ms() - started
  if status ~= 200 then
    non_200 = non_200 + 1
  elseif page == "inbox" then
    inbox_ms[#inbox_ms + 1] = ms
  else
    workspace_ms[#workspace_ms + 1] = ms
  end
end

local function percentile(sorted, p)
  -- Nearest rank, as bench/web's Python did.
  local k = math.max(1, math.min(#sorted, math.ceil(#sorted * p / 100)))
  return sorted[k]
end

function done(summary, latency, requests)
  local pages = { inbox = {}, workspace = {} }
  local bad = 0
  for _, thread in ipairs(threads) do
    for name, key in pairs({ inbox = "inbox_ms", workspace = "workspace_ms" }) do
      local all = pages[name]
      for _, ms in ipairs(thread:get(key)) do
        all[#all + 1] = ms
      end
    end
    bad = bad + thread:get("non_200")
  end
  for _, name in ipairs({ "inbox", "workspace" }) do
    local all = pages[name]
    table.sort(all)
    if #all == 0 then
      io.write(string.format("page %s 0 0 0 0 0\n", name))
    else
      io.write(string.format("page %s %d %.1f %.1f %.1f %.1f\n", name, #all, percentile(all, 50),
        percentile(all, 95), percentile(all, 99), all[#all]))
    end
  end
  local e = summary.errors
  io.write(string.format("errors %d %d %d %d %d\n", bad, e.connect, e.read, e.write, e.timeout))
end
