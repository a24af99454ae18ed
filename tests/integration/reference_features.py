"""An independent Python implementation of the feature registry semantics
(docs/feature-registry.md), computed straight from the canonical events and attributes CSVs.
The multi-process tests compare every served feature against it."""

import csv
import datetime as dt
import math
from collections import defaultdict

DAY = 86400


def parse_time(text):
    if text.lstrip("-").isdigit():
        return int(text)
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(t.timestamp())


def exclusive_end_day(as_of):
    day = as_of // DAY
    return day if day * DAY == as_of else day + 1


class Feature:
    def __init__(self, line):
        parts = line.split()
        self.name, self.type, self.source = parts[0], parts[1], parts[2]
        self.params = dict(p.split("=", 1) for p in parts[3:])
        self.max_age = None
        if "max_age" in self.params:
            self.max_age = int(self.params["max_age"].rstrip("d")) * DAY
        self.default = self._convert(self.params.get("default"))

    def _convert(self, text):
        if self.type == "double":
            return float(text) if text is not None else 0.0
        if self.type == "int64":
            return int(text) if text is not None else 0
        if self.type == "bool":
            return text == "true" if text is not None else False
        return text if text is not None else ""


def load_registry(path):
    feats = []
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                feats.append(Feature(line))
    return feats


class Customer:
    def __init__(self):
        self.events = []  # (ts, type, channel, category, quantity, amount)
        self.attrs = defaultdict(list)  # name -> [(ts, type, value)]


def load_customers(events_csv, attributes_csv=None, only=None):
    """customer_id -> Customer, for ids in `only` (all if None)."""
    out = defaultdict(Customer)
    with open(events_csv, newline="") as f:
        for r in csv.DictReader(f):
            cid = r["customer_id"]
            if only is not None and cid not in only:
                continue
            out[cid].events.append((parse_time(r["ts"]), r["type"], r["channel"], r["category"],
                                    int(r["quantity"] or 0), float(r["amount"] or 0)))
    if attributes_csv:
        with open(attributes_csv, newline="") as f:
            for r in csv.DictReader(f):
                cid = r["customer_id"]
                if only is not None and cid not in only:
                    continue
                out[cid].attrs[r["name"]].append((parse_time(r["ts"]), r["type"], r["value"]))
    return out


def _attr_value(feature, typ, text):
    if typ in ("int", "double") and feature.type in ("int64", "double"):
        if feature.type == "int64":
            return int(text) if typ == "int" else None
        return float(text)
    if typ == "string" and feature.type == "string":
        return text
    if typ == "bool" and feature.type == "bool":
        return text == "true"
    return None


def compute(features, customer, as_of):
    """(found, {name: (value, status)}) with status in PRESENT/DEFAULTED/STALE/NOT_FOUND."""
    cutoff = exclusive_end_day(as_of)
    visible = [e for e in customer.events if e[0] // DAY < cutoff] if customer else []
    attrs = {}
    if customer:
        for name, versions in customer.attrs.items():
            seen = [v for v in versions if v[0] <= as_of]
            if seen:
                attrs[name] = max(seen, key=lambda v: v[0])
    if not visible and not attrs:
        return False, {f.name: (f.default, "NOT_FOUND") for f in features}
    last_event = max((e[0] for e in visible), default=None)
    values = {}

    def stale_events(f):
        return f.max_age is not None and last_event is not None and last_event < as_of - f.max_age

    for f in features:
        p = f.params
        if f.source == "attribute":
            v = attrs.get(p["attr"])
            value = _attr_value(f, v[1], v[2]) if v else None
            if value is None:
                values[f.name] = (f.default, "DEFAULTED")
            elif f.max_age is not None and v[0] < as_of - f.max_age:
                values[f.name] = (value, "STALE")
            else:
                values[f.name] = (value, "PRESENT")
            continue
        if f.source == "window":
            days = p["days"]
            lo = -(1 << 40) if days == "lifetime" else cutoff - int(days)
            match = [e for e in visible if e[0] // DAY >= lo
                     and ("type" not in p or e[1] == p["type"])
                     and ("channel" not in p or e[2] == p["channel"])
                     and (p["agg"] == "category_share" or "category" not in p
                          or e[3] == p["category"])]
            value, status = _window(f, p["agg"], match)
        else:
            value, status = _derived(f, p, values, visible, as_of)
        if status == "PRESENT" and stale_events(f):
            status = "STALE"
        values[f.name] = (value, status)
    return True, values


def _window(f, agg, match):
    if agg == "count":
        return len(match), "PRESENT"
    if agg == "sum_amount":
        return _typed(f, math.fsum(e[5] for e in match)), "PRESENT"
    if agg == "sum_quantity":
        return _typed(f, sum(e[4] for e in match)), "PRESENT"
    if agg == "active_days":
        return len({e[0] // DAY for e in match}), "PRESENT"
    if agg == "distinct_categories":
        return len({e[3] for e in match if e[3]}), "PRESENT"
    if agg == "distinct_channels":
        return len({e[2] for e in match if e[2]}), "PRESENT"
    counts = defaultdict(int)
    for e in match:
        if e[3]:
            counts[e[3]] += 1
    total = len(match)
    if agg == "category_share":
        if total == 0:
            return f.default, "DEFAULTED"
        return counts[f.params["category"]] / total, "PRESENT"
    if not counts:
        return f.default, "DEFAULTED"
    top = min(counts, key=lambda c: (-counts[c], c))
    if agg == "top_category":
        return top, "PRESENT"
    if agg == "top_category_share":
        return counts[top] / total, "PRESENT"
    raise ValueError(f"unknown agg {agg}")


def _typed(f, x):
    return int(x) if f.type == "int64" else float(x)


def _derived(f, p, values, visible, as_of):
    fn = p["fn"]
    if fn in ("ratio", "abandon_rate"):
        num, den = values[p["num"]][0], values[p["den"]][0]
        if den == 0:
            return f.default, "DEFAULTED"
        r = num / den
        if fn == "abandon_rate":
            r = min(1.0, max(0.0, 1.0 - r))
        return r, "PRESENT"
    if fn == "days_since_last":
        times = [e[0] for e in visible if "type" not in p or e[1] == p["type"]]
        if not times:
            return f.default, "DEFAULTED"
        return (as_of - max(times)) / DAY, "PRESENT"
    if fn == "tenure_days":
        if not visible:
            return f.default, "DEFAULTED"
        return (as_of - min(e[0] for e in visible)) / DAY, "PRESENT"
    raise ValueError(f"unknown fn {fn}")
