"""The Python side of the feeds benchmark: build and serialise the same events with the
`icalendar` library, timing only that (not reading the JSON).

    python feeds_python.py EVENTS.json RUNS  ->  {"seconds": median, "bytes": size}
"""
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar

HELSINKI = ZoneInfo("Europe/Helsinki")
STAMP = datetime(2026, 12, 1, tzinfo=timezone.utc)


def build(events):
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//icalendar//FI")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for spec in events:
        event = icalendar.Event()
        event.add("uid", spec["uid"])
        event.add("dtstamp", STAMP)
        event.add("dtstart", datetime.fromisoformat(spec["start"]).replace(tzinfo=HELSINKI))
        event.add("dtend", datetime.fromisoformat(spec["end"]).replace(tzinfo=HELSINKI))
        if spec["rule"]:
            event.add("rrule", icalendar.vRecur.from_ical(spec["rule"]))
        event.add("sequence", 0)
        event.add("status", "CONFIRMED")
        event.add("summary", spec["summary"])
        event.add("description", spec["description"])
        event.add("location", spec["location"])
        event.add("categories", spec["categories"])
        calendar.add_component(event)
    return calendar.to_ical()


def main(path, runs):
    with open(path, encoding="utf-8") as file:
        events = json.load(file)["events"]
    times, size = [], 0
    for _ in range(int(runs)):
        started = time.perf_counter()
        size = len(build(events))
        times.append(time.perf_counter() - started)
    print(json.dumps({"seconds": statistics.median(times), "bytes": size}))


if __name__ == "__main__":
    main(*sys.argv[1:])
