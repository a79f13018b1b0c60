"""Checks what gst_player sent against what the player really did: the recorded sequence of
events, and every event's playhead within 1 s of the player's real position at the event's
timestamp (from the player's position log, "wall_ms position_ms" every 100 ms and just before
every tracker call): the last sample at or before the event's millisecond, both truncated to
the millisecond, so a sample taken after a seek landed counts for the event it preceded.

usage: check_gst.py EDGE_BASE_URL POSITION_LOG"""
import bisect
import datetime
import json
import sys
import urllib.request

EXPECTED = ["sessionStart", "play", "play", "pauseStart", "play", "pauseStart", "play", "sessionComplete"]


def main(url, log_path):
    requests = json.load(urllib.request.urlopen(url + "/__emulator/requests"))
    events = [r for r in requests if r["action"]]
    positions = [tuple(float(v) for v in line.split()) for line in open(log_path) if line.strip()]
    times = [t for t, _ in positions]
    failures = []
    for r in events:
        if r["status"] not in (200, 204):
            failures.append(f"{r['action']} answered {r['status']}")
    # The play state, pause, seek and end as they happened (pings and QoE events aside).
    sequence = [r["action"] for r in events if r["action"] not in ("ping", "bitrateChange")]
    if sequence != EXPECTED:
        failures.append(f"sequence {sequence}, expected {EXPECTED}")
    worst = 0.0
    for r in events:
        xdm = r["body"]["events"][0]["xdm"]
        ts = datetime.datetime.strptime(xdm["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        ms = ts.timestamp() * 1000
        playhead = xdm["mediaCollection"]["playhead"]
        i = bisect.bisect_right(times, round(ms)) - 1
        real = positions[i][1] / 1000 if i >= 0 else 0.0  # before the first sample: the start
        off = abs(playhead - real)
        worst = max(worst, off)
        print(f"  {r['action']:16} playhead {xdm['mediaCollection']['playhead']:3}  real {real:6.2f} s")
        if off > 1.0:
            failures.append(f"{r['action']} at {xdm['timestamp']}: playhead {xdm['mediaCollection']['playhead']}, real position {real:.2f} s")
    if len(positions) < 50:
        failures.append(f"only {len(positions)} position samples")
    for f in failures:
        print("check_gst: " + f, file=sys.stderr)
    print(f"check_gst: {len(events)} events, sequence as played, worst playhead offset {worst:.2f} s" if not failures else "check_gst: FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
