"""Reads a calendar feed with Python's icalendar and recurring-ical-events (a calendar
library of another ecosystem) and compares the occurrences a client would show with the
expectations the Rust test took from the API.

    python check_feed.py FEED.ics EXPECTED.json

EXPECTED.json: {"from": ISO, "to": ISO, "occurrences": [{"start", "end", "status",
"summary"}]} with UTC times. Exits 1 and prints the differences when they do not match.
"""
import json
import sys
from datetime import datetime, timezone

import icalendar
import recurring_ical_events


def utc(value):
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(feed_path, expected_path):
    with open(feed_path, "rb") as feed:
        calendar = icalendar.Calendar.from_ical(feed.read())
    with open(expected_path, encoding="utf-8") as file:
        expected = json.load(file)
    # X-WR-TIMEZONE is a display hint that RFC 5545 readers ignore. recurring-ical-events
    # rewrites UTC times into that zone through the x-wr-timezone package, which loses
    # the fold of the autumn's repeated hour (01:30Z on 31 October 2027 comes out as
    # 00:30Z), so it is left out here and the times are read as the RFC says.
    calendar.pop("X-WR-TIMEZONE")
    window = [datetime.fromisoformat(expected[k].replace("Z", "+00:00")) for k in ("from", "to")]
    shown = []
    for component in recurring_ical_events.of(calendar).between(*window):
        start, end = component.decoded("DTSTART"), component.decoded("DTEND")
        if getattr(start, "tzinfo", None) is None:
            sys.exit(f"a floating or all-day time: {component.get('DTSTART').to_ical()!r}")
        shown.append({
            "start": utc(start),
            "end": utc(end),
            "status": str(component.get("STATUS")),
            "summary": str(component.get("SUMMARY")),
        })
    key = lambda o: (o["start"], o["end"], o["status"], o["summary"])
    shown.sort(key=key)
    wanted = sorted(expected["occurrences"], key=key)
    if shown != wanted:
        print("the Python libraries expand the feed differently from the database:")
        for occurrence in shown:
            if occurrence not in wanted:
                print("  only in the feed:", occurrence)
        for occurrence in wanted:
            if occurrence not in shown:
                print("  only in the database:", occurrence)
        sys.exit(1)
    print(f"{len(shown)} occurrences as the database holds them")


if __name__ == "__main__":
    main(*sys.argv[1:])
