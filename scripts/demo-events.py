#!/usr/bin/env python3
"""Writes a day of live-looking inbound CloudEvents (JSON Lines) ending now, for the demo:
VIP and standard customers with lifetime values, some handled in time, some late, some
waiting, a few compliments and a prevention action. Seeded: the same minute gives the same file."""
import json
import random
import sys
import time

now = int(time.time()) // 60 * 60
rng = random.Random(42)
iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
agents = ["ana", "bo", "chen", "dana", "eli", "fatima"]
categories = ["billing", "delivery", "damaged-item", "wrong-item", "refund-delay", "rude-staff"]
events, n = [], 0


def emit(type_, t, data):
    global n
    n += 1
    events.append((t, {"specversion": "1.0", "id": f"demo-{n}", "source": "demo-helpdesk", "type": type_,
                       "time": iso(t), "data": data}))


for i in range(60):
    cid, cust = f"live-{i}", f"cust-{i % 45}"
    vip = i % 4 == 0
    filed = now - rng.randint(10, 24 * 60) * 60
    emit("complaint.filed", filed, {"complaint_id": cid, "customer": {"id": cust, "segment": "vip" if vip else "standard",
         "value": rng.choice([800, 2500, 12000, 40000]) if vip else rng.choice([50, 200, 900])},
         "severity": rng.choice(["medium", "high", "high", "critical"] if vip else ["low", "medium", "high"]),
         "channel": rng.choice(["email", "phone", "chat"]), "category": rng.choice(categories),
         "product": rng.choice(["card", "loan", "app"]), "team": rng.choice(["support-emea", "support-us"]),
         "summary": "demo complaint"})
    agent = rng.choice(agents)
    fate = rng.random()
    if fate < 0.75:
        ack = filed + rng.randint(2, 40) * 60
        if ack < now:
            emit("complaint.acknowledged", ack, {"complaint_id": cid, "employee": agent})
            if fate < 0.45:
                res = ack + rng.randint(20, 300) * 60
                if res < now:
                    emit("complaint.root_cause_found", res - 60, {"complaint_id": cid, "root_cause": {"category": rng.choice(categories), "employee": rng.choice(agents)}})
                    emit("complaint.resolved", res, {"complaint_id": cid, "employee": agent})
                    if rng.random() < 0.5 and res + 3600 < now:
                        emit("customer.activity", res + 3600, {"customer_id": cust, "kind": "purchase", "value": 30})
                    if rng.random() < 0.4 and res + 1800 < now:
                        emit("compliment.received", res + 1800, {"compliment_id": f"k-{i}", "customer": cust,
                             "employees": [agent], "channel": "survey", "text": "sorted out quickly", "complaint_id": cid})
emit("prevention.action_recorded", now - 12 * 3600, {"action_id": "pa-1", "category": "delivery",
     "description": "new courier SLA", "owner": "ops"})
for _, e in sorted(events, key=lambda x: x[0]):
    sys.stdout.write(json.dumps(e) + "\n")
