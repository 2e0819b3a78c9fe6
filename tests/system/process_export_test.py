"""process/export with a virtual clock: deterministic to the byte, deadlines fired between
events and up to --until, stamped with their due instants; verify detects a changed byte."""
import json
import os
import sqlite3
import sys
import tempfile

import harness

BINARY = sys.argv[1]


def ev(i, type_, time, data):
    return {"specversion": "1.0", "id": f"e{i}", "source": "crm", "type": type_, "time": time, "data": data}


INPUTS = [
    ev(1, "complaint.filed", "2026-11-20T10:00:00Z",
       {"complaint_id": "v1", "customer": {"id": "cu-1", "segment": "vip", "value": 5000}, "severity": "high",
        "channel": "email", "category": "billing", "product": "card", "team": "emea", "summary": "x"}),
    # Friday 16:00 Berlin: standard acknowledge PT4H is due Monday 12:00 Berlin (11:00 UTC).
    ev(2, "complaint.filed", "2026-11-20T15:00:00Z",
       {"complaint_id": "s1", "customer": {"id": "cu-2", "segment": "standard", "value": 10}, "severity": "low",
        "channel": "web", "category": "delivery", "product": "parcel", "team": "emea", "summary": "late"}),
    ev(3, "complaint.acknowledged", "2026-11-20T15:30:00Z", {"complaint_id": "v1", "employee": "ana"}),
    ev(4, "not even json", "", {}),
]


def main():
    work = tempfile.mkdtemp(prefix="bounceback-process-")
    cfg = os.path.join(work, "bounceback.yaml")
    harness.write_config(cfg, harness.free_port(), os.path.join(work, "unused"),
                         vip_ack="PT15M", vip_resolve="PT4H", std_ack="PT4H")
    jsonl = os.path.join(work, "in.jsonl")
    with open(jsonl, "w") as f:
        for e in INPUTS[:3]:
            f.write(json.dumps(e) + "\n")
        f.write("{this is not json\n")

    runs = []
    for name in ("a", "b"):
        out = harness.run(BINARY, "process", "--config", cfg, "--data", os.path.join(work, name),
                          "--input", jsonl, "--until", "2026-11-23T12:00:00Z")
        harness.check(out.returncode == 1, "a bad line makes process exit 1 after processing the rest")
        harness.check("in.jsonl:4:" in out.stderr, "the bad line is reported with its number: " + out.stderr)
        runs.append(harness.run(BINARY, "export", "--data", os.path.join(work, name)).stdout)
    harness.check(runs[0] == runs[1], "two runs of the same input export the same bytes")

    events = [json.loads(l) for l in runs[0].splitlines()]
    got = [(e["subject"], e["type"], e["time"]) for e in events]
    expected = [
        ("complaint-v1", "ComplaintFiled", "2026-11-20T10:00:00Z"),
        ("complaint-v1", "SlaWarningRaised", "2026-11-20T10:12:00Z"),   # 80% of 15 min
        ("complaint-v1", "ComplaintEscalated", "2026-11-20T10:12:00Z"),
        ("complaint-v1", "SlaBreached", "2026-11-20T10:15:00Z"),
        ("complaint-v1", "ComplaintEscalated", "2026-11-20T10:15:00Z"),
        ("complaint-v1", "SlaWarningRaised", "2026-11-20T13:12:00Z"),   # resolve warning, fired between events
        ("complaint-v1", "SlaBreached", "2026-11-20T14:00:00Z"),
        ("complaint-s1", "ComplaintFiled", "2026-11-20T15:00:00Z"),
        ("complaint-v1", "ComplaintAcknowledged", "2026-11-20T15:30:00Z"),
        ("complaint-s1", "SlaWarningRaised", "2026-11-23T10:12:00Z"),   # Monday 11:12 Berlin
        ("complaint-s1", "SlaBreached", "2026-11-23T11:00:00Z"),        # Monday 12:00 Berlin
    ]
    harness.check(got == expected, "events:\n" + "\n".join(map(str, got)))
    breach = [e for e in events if e["type"] == "SlaBreached"][0]
    harness.check(breach["data"]["due_at"] == breach["time"], "a breach is stamped with its due instant")
    harness.check(breach["recordedat"] == breach["time"], "the virtual clock records at the due instant")

    verify = harness.run(BINARY, "verify", "--data", os.path.join(work, "a"))
    harness.check(verify.returncode == 0 and verify.stdout.startswith("OK: 11 events"), verify.stdout)
    # A complaint's audit trail: each event with its own hash checked, as the history route gives it.
    audit = harness.run(BINARY, "audit", "v1", "--data", os.path.join(work, "a"), "--format", "json")
    harness.check(audit.returncode == 0, "audit: " + audit.stderr)
    trail = json.loads(audit.stdout)
    harness.check(trail["complaint_id"] == "v1" and trail["intact"] is True, audit.stdout[:300])
    harness.check([e["type"] for e in trail["events"]] == [t for s, t, _ in expected if s == "complaint-v1"],
                  "the trail lists the complaint's events in order")
    harness.check(all(e["hash_ok"] is True for e in trail["events"]), "every event's hash checks")

    # export -> import --format jsonl restores the same log, hash for hash.
    exported = os.path.join(work, "a.jsonl")
    with open(exported, "w") as f:
        f.write(runs[0])
    out = harness.run(BINARY, "import", "--format", "jsonl", exported, "--data", os.path.join(work, "restored"))
    harness.check(out.returncode == 0, "import jsonl: " + out.stderr)
    harness.check(harness.run(BINARY, "export", "--data", os.path.join(work, "restored")).stdout == runs[0],
                  "export of the restored store equals the original export")
    out = harness.run(BINARY, "import", "--format", "jsonl", exported, "--data", os.path.join(work, "restored"))
    harness.check(out.returncode == 2, "importing into a non-empty store is refused")
    altered = os.path.join(work, "altered.jsonl")
    with open(altered, "w") as f:
        f.write(runs[0].replace('"employee":"ana"', '"employee":"eve"', 1))
    out = harness.run(BINARY, "import", "--format", "jsonl", altered, "--data", os.path.join(work, "altered"))
    harness.check(out.returncode == 1 and "altered" in out.stderr, "an altered export is refused: " + out.stderr)
    db = sqlite3.connect(os.path.join(work, "a", "events.db"))
    db.execute("UPDATE events SET data = replace(data, '\"ana\"', '\"bob\"') WHERE position = 9")
    db.commit()
    db.close()
    verify = harness.run(BINARY, "verify", "--data", os.path.join(work, "a"))
    harness.check(verify.returncode == 1, "verify fails after tampering")
    harness.check(verify.stdout.startswith("FAIL at position 9 "), verify.stdout)
    audit = harness.run(BINARY, "audit", "v1", "--data", os.path.join(work, "a"), "--format", "json")
    trail = json.loads(audit.stdout)
    harness.check(audit.returncode == 1 and trail["intact"] is False, "audit fails after tampering")
    harness.check([e["position"] for e in trail["events"] if not e["hash_ok"]] == [9],
                  "the trail names the altered event: " + audit.stdout[:300])
    text = harness.run(BINARY, "audit", "v1", "--data", os.path.join(work, "a"))
    harness.check(text.returncode == 1 and "TAMPERED" in text.stdout and " MISMATCH" in text.stdout,
                  text.stdout)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
