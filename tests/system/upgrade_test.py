"""A data directory written by the previous release still loads: the release of 2026-12-06 wrote
tests/fixtures/release-2026-12-06/embedded from first.jsonl (before the summary index existed).
Processing second.jsonl on a copy of it must give, byte for byte, the export of processing both
files with this build; the first start folds the old log once and builds the index, the next
start reads the index.

The read side's checkpoints of previous releases (release-2026-12-07/embedded-snapshot, format 3;
release-2026-12-07b/embedded-snapshot, format 4: settled rows frozen, amounts as binary floats;
release-2026-12-08/embedded-snapshot, format 5: compliments and escalations as JSON lines)
are used, not thrown away: the service starts from it and answers what a rebuild from the log
answers, and writes the current format at shutdown, which the next start reads."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request

import harness

BINARY = sys.argv[1]
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
FIXTURE = os.path.join(FIXTURES, "release-2026-12-06")
# The read side's checkpoints of earlier releases, with the format each wrote.
SNAPSHOT_FIXTURES = [(os.path.join(FIXTURES, "release-2026-12-07", "embedded-snapshot"), 3),
                     (os.path.join(FIXTURES, "release-2026-12-07b", "embedded-snapshot"), 4),
                     (os.path.join(FIXTURES, "release-2026-12-08", "embedded-snapshot"), 5)]
REPORTS = ["/v1/sla/summary", "/v1/employees/scores", "/v1/sla/at-risk"]


def without_additions(export):
    """An export as the previous release wrote it: this release records the calendar as applied
    in each filing's policy (ComplaintFiled.policy.calendar_as_applied, issue 23), which the hash
    chain covers too, and amounts as exact decimals with their currency. Everything else must be
    the same."""
    out = []
    for line in export.splitlines():
        e = harness.plain_amounts(json.loads(line))
        e.get("data", {}).get("policy", {}).pop("calendar_as_applied", None)
        e.pop("hash", None)
        e.pop("prevhash", None)
        out.append(json.dumps(e, sort_keys=True))
    return out


def process(cfg, data, name):
    out = harness.run(BINARY, "process", "--config", cfg, "--data", data,
                      "--input", os.path.join(FIXTURE, name))
    # The simulator's stream holds a few commands the domain rejects (exit 1 after the rest).
    harness.check(out.returncode in (0, 1), f"process {name} ran: {out.stderr}")
    harness.check("invalid 0" in out.stderr, f"every line of {name} parses: {out.stderr}")
    return out


def main():
    work = tempfile.mkdtemp(prefix="bounceback-upgrade-")
    cfg = os.path.join(FIXTURE, "bounceback.yaml")
    old = os.path.join(work, "old")
    shutil.copytree(os.path.join(FIXTURE, "embedded"), old)
    with sqlite3.connect(os.path.join(old, "events.db")) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    harness.check("stream_summaries" not in tables, "the fixture predates the summary index")

    verify = harness.run(BINARY, "verify", "--data", old)
    harness.check(verify.returncode == 0, "the old log verifies: " + verify.stdout + verify.stderr)

    fresh = os.path.join(work, "fresh")
    process(cfg, fresh, "first.jsonl")
    first_export = harness.run(BINARY, "export", "--data", fresh).stdout
    old_export = harness.run(BINARY, "export", "--data", old).stdout
    harness.check(without_additions(first_export) == without_additions(old_export),
                  "this build writes the same events as the previous release did, but for what it "
                  "adds")
    harness.check('"calendar_as_applied"' in first_export and
                  '"calendar_as_applied"' not in old_export,
                  "new filings record their calendar; the old ones are read without it")

    process(cfg, old, "second.jsonl")
    process(cfg, fresh, "second.jsonl")
    a = harness.run(BINARY, "export", "--data", old).stdout
    b = harness.run(BINARY, "export", "--data", fresh).stdout
    harness.check(len(a.splitlines()) > len(first_export.splitlines()), "the second part added events")
    harness.check(without_additions(a) == without_additions(b),
                  "the upgraded directory continues exactly as one written by this build: "
                  "deadlines, customers and states of the old complaints were all found")
    verify = harness.run(BINARY, "verify", "--data", old)
    harness.check(verify.returncode == 0, "the upgraded log verifies: " + verify.stdout + verify.stderr)

    with sqlite3.connect(os.path.join(old, "events.db")) as db:
        complete = db.execute("SELECT value FROM log_meta WHERE key = 'summaries'").fetchone()
        rows = db.execute("SELECT count(*) FROM stream_summaries").fetchone()[0]
        streams = db.execute("SELECT count(DISTINCT stream) FROM events "
                             "WHERE stream LIKE 'complaint-%'").fetchone()[0]
        counted = db.execute("SELECT sum(n) FROM summary_counts").fetchone()[0]
    harness.check(complete == (1,), "the index covers the upgraded log")
    harness.check(rows == streams == counted, f"one summary per complaint: {rows} {streams} {counted}")
    for fixture, fmt in SNAPSHOT_FIXTURES:
        check_old_checkpoint(os.path.join(work, f"format-{fmt}"), cfg, fixture, fmt)
    print("ok")


def serve_reports(cfg, data, log):
    """Starts serve on DATA, fetches the reports, stops it; returns them without `as_of`."""
    port = harness.free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([BINARY, "serve", "--config", cfg, "--set", f"data_dir={data}",
                                 "--set", f"listen=127.0.0.1:{port}"], stdout=out, stderr=out)
    try:
        harness.wait_ready(port, proc)
        reports = {}
        for path in REPORTS:
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"Authorization": "Bearer demo-manager-token"})
            body = json.loads(urllib.request.urlopen(req, timeout=30).read())
            body.pop("as_of", None)
            reports[path] = body
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return reports, open(log).read()


def snapshot_format(data):
    with open(os.path.join(data, "read_model.snapshot.json"), "rb") as f:
        return json.loads(f.readline())["format"]


def check_old_checkpoint(work, cfg, fixture, fmt):
    os.makedirs(work)
    kept = os.path.join(work, "checkpoint-kept")
    rebuilt = os.path.join(work, "checkpoint-rebuilt")
    shutil.copytree(fixture, kept)
    shutil.copytree(fixture, rebuilt)
    harness.check(snapshot_format(kept) == fmt, f"the fixture's checkpoint is format {fmt}")
    os.remove(os.path.join(rebuilt, "read_model.snapshot.json"))
    from_old, log = serve_reports(cfg, kept, os.path.join(work, "kept.log"))
    harness.check("(from its checkpoint)" in log, "the old checkpoint was used: " + log[-2000:])
    from_log, log = serve_reports(cfg, rebuilt, os.path.join(work, "rebuilt.log"))
    harness.check("(from its checkpoint)" not in log, "the other directory rebuilt from the log")
    harness.check(from_log["/v1/sla/summary"]["complaints"] > 0, "the reports cover complaints")
    harness.check(from_old == from_log, "the old checkpoint answers as a rebuild from the log")
    harness.check(snapshot_format(kept) == 6, "shutdown wrote the current format")
    again, log = serve_reports(cfg, kept, os.path.join(work, "again.log"))
    harness.check("(from its checkpoint)" in log, "the new checkpoint was used: " + log[-2000:])
    harness.check(again == from_log, "the new checkpoint answers the same")


if __name__ == "__main__":
    main()
