"""A data directory written by the previous release still loads: the release of 2026-12-06 wrote
tests/fixtures/release-2026-12-06/embedded from first.jsonl (before the summary index existed).
Processing second.jsonl on a copy of it must give, byte for byte, the export of processing both
files with this build; the first start folds the old log once and builds the index, the next
start reads the index."""
import os
import shutil
import sqlite3
import sys
import tempfile

import harness

BINARY = sys.argv[1]
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "release-2026-12-06")


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
    harness.check(first_export == harness.run(BINARY, "export", "--data", old).stdout,
                  "this build writes the same events, byte for byte, as the previous release did")

    process(cfg, old, "second.jsonl")
    process(cfg, fresh, "second.jsonl")
    a = harness.run(BINARY, "export", "--data", old).stdout
    b = harness.run(BINARY, "export", "--data", fresh).stdout
    harness.check(len(a.splitlines()) > len(first_export.splitlines()), "the second part added events")
    harness.check(a == b, "the upgraded directory continues exactly as one written by this build: "
                  "deadlines, customers and states of the old complaints were all found")

    with sqlite3.connect(os.path.join(old, "events.db")) as db:
        complete = db.execute("SELECT value FROM log_meta WHERE key = 'summaries'").fetchone()
        rows = db.execute("SELECT count(*) FROM stream_summaries").fetchone()[0]
        streams = db.execute("SELECT count(DISTINCT stream) FROM events "
                             "WHERE stream LIKE 'complaint-%'").fetchone()[0]
        counted = db.execute("SELECT sum(n) FROM summary_counts").fetchone()[0]
    harness.check(complete == (1,), "the index covers the upgraded log")
    harness.check(rows == streams == counted, f"one summary per complaint: {rows} {streams} {counted}")
    print("ok")


if __name__ == "__main__":
    main()
