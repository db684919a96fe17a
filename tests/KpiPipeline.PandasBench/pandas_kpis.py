#!/usr/bin/env python3
"""pandas computing the KPIs from a lake's raw CSVs, for `kpi-job bench --compare pandas`.

    python3 pandas_kpis.py <lake folder holding raw/> <kpis.json to write>

It lives beside tests/KpiPipeline.DuckDbBench, the other engine bench compares with, and not in any shipped
project: Python and pandas never reach the containers. It is a plain script, not a .NET project, because the
point is pandas as a data engineer would use it (read_csv, merge, groupby), not pandas driven from C#.

It does what kpi-duckdb-bench does, step for step: order items joined to their order and product (a line is
returned when its item's or its order's status is "Returned" or either has a returned_at; the KPI date is the
UTC date of the order's created_at; the batch is the items file's date folder), lines de-duplicated per date
by their item id keeping the newest batch's copy, then the KPIs of core/Kpis/KpiDefinitions.cs as
engine/Kpis/Sql/KpiSqlRenderer.cs renders them. An empty field is missing, as read_csv's NULL is to DuckDB.
Money is summed as integers of millionths (the curated DECIMAL(18,6)) and every ratio is rounded half away
from zero in integer arithmetic, so the figures are exact decimals and equal kpi-job's to the last digit;
floats would make bench's equality check a matter of luck.

Writes the KPIs in the shape of `kpi-job kpis --format json` and prints one JSON line with the process's peak
resident set size (and the pandas version, so a reported figure says which pandas it was).
"""

import glob
import json
import os
import resource
import sys
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

MICROS = 10**6  # sale prices are kept as integers of millionths, like the curated DECIMAL(18,6)

# The exports mix Z, offsets and fractional seconds, all ISO 8601: pandas 1.x parses each value as it comes, while
# pandas 2 guesses one format from the first value unless told ISO 8601 (a format pandas 1.x does not know).
TIMESTAMPS = {"format": "ISO8601"} if int(pd.__version__.split(".")[0]) >= 2 else {}


# Columns read as text: statuses and categories are words, timestamps and prices are parsed exactly below, and a
# quantity may be empty. Ids are left to read_csv's inference, as a pandas user leaves them: numeric ids become
# int64 keys, which merge and group far faster than strings (reading every column as text made this script 1.6
# times slower on bench's 1M-item lake, an unfair baseline).
TEXT_COLUMNS = ("status", "created_at", "returned_at", "sale_price", "quantity", "category")


def read_csvs(pattern, columns, folder_column=None):
    """Every CSV the glob matches; only an empty field is missing, as in DuckDB's read_csv."""
    frames = []
    text = {column: str for column in columns if column in TEXT_COLUMNS}
    for path in sorted(glob.glob(pattern)):
        frame = pd.read_csv(path, dtype=text, usecols=columns, keep_default_na=False, na_values=[""])
        if folder_column is not None:
            frame[folder_column] = os.path.basename(os.path.dirname(path))
        frames.append(frame)
    if not frames:
        raise SystemExit(f"no files match {pattern}")
    return pd.concat(frames, ignore_index=True)


def millionths(prices):
    """Exact sale prices as int64 millionths: each distinct text is parsed once as a Decimal (CAST AS DECIMAL(18,6))."""
    codes, texts = pd.factorize(prices)
    values = [int((Decimal(text) * MICROS).to_integral_value(rounding=ROUND_HALF_UP)) for text in texts]
    return np.asarray(values, dtype=np.int64)[codes]


def divide_rounded(numerator, denominator):
    """numerator / denominator rounded half away from zero to an integer, exactly (SQL's ROUND of an exact ratio)."""
    numerator = np.asarray(numerator, dtype=np.int64)
    denominator = np.asarray(denominator, dtype=np.int64)
    return np.sign(numerator) * ((2 * np.abs(numerator) + denominator) // (2 * denominator))


def returned(status):
    return status.fillna("").str.strip(" \t").str.lower() == "returned"


def exact(units, scale):
    """An integer count of 10^-scale as a Decimal without trailing zeros (41.30 is 41.3, as in kpi-job's JSON)."""
    return Decimal(int(units)).scaleb(-scale).normalize()


def main():
    if len(sys.argv) != 3:
        print("usage: pandas_kpis.py <lake folder holding raw/> <kpis.json to write>", file=sys.stderr)
        return 2
    raw = os.path.join(sys.argv[1], "raw")

    orders = read_csvs(os.path.join(raw, "orders", "*", "*.csv"), ["order_id", "user_id", "status", "created_at", "returned_at"])
    items = read_csvs(os.path.join(raw, "order_items", "*", "*.csv"),
                      ["id", "order_id", "product_id", "sale_price", "quantity", "status", "returned_at"], folder_column="batch_id")
    products = read_csvs(os.path.join(raw, "products", "*.csv"), ["id", "category"])

    # Each table's own columns are typed before the join, once per order and per item.
    orders["order_date"] = pd.to_datetime(orders["created_at"], utc=True, **TIMESTAMPS).dt.floor("D")
    orders["order_returned"] = returned(orders["status"]) | orders["returned_at"].notna()
    items["line_key"] = items["id"]  # kpi-job's "i:" + id, without building a string per line
    items["quantity"] = items["quantity"].fillna("1").astype(np.int64)
    items["revenue"] = millionths(items["sale_price"]) * items["quantity"].to_numpy()
    items["item_returned"] = returned(items["status"]) | items["returned_at"].notna()

    # An inner join never matches a missing key in SQL; pandas' merge would match NaN with NaN.
    lines = (items[["batch_id", "line_key", "order_id", "product_id", "quantity", "revenue", "item_returned"]]
             .dropna(subset=["order_id", "product_id"])
             .merge(orders[["order_id", "user_id", "order_date", "order_returned"]].dropna(subset=["order_id"]), on="order_id")
             .merge(products.dropna(subset=["id"]).rename(columns={"id": "product_id"}), on="product_id"))
    lines["returned"] = lines["order_returned"] | lines["item_returned"]

    # A line delivered again in a later batch counts once per date: the newest batch's copy.
    lines = (lines.sort_values("batch_id", ascending=False, kind="stable")
             .drop_duplicates(subset=["order_date", "line_key"], keep="first"))
    # An order is returned on a date when any of its lines of that date is.
    order_returned = lines.groupby(["order_date", "order_id"])["returned"].transform("max")
    lines["returned_order_id"] = lines["order_id"].where(order_returned)

    daily = lines.groupby("order_date").agg(
        total_orders=("order_id", "nunique"),
        revenue=("revenue", "sum"),
        total_items_sold=("quantity", "sum"),
        returned_orders=("returned_order_id", "nunique"),
        unique_customers=("user_id", "nunique"),
    ).reset_index().sort_values("order_date")
    category = lines.groupby(["order_date", "category"]).agg(
        orders=("order_id", "nunique"),
        revenue=("revenue", "sum"),
        returned_orders=("returned_order_id", "nunique"),
    ).reset_index().sort_values(["order_date", "category"])

    # Money to cents and rates to 4 places, half away from zero, from the exact sums.
    daily["total_revenue"] = divide_rounded(daily["revenue"], np.full(len(daily), MICROS // 100))
    daily["return_rate"] = divide_rounded(daily["returned_orders"] * 10_000, daily["total_orders"])
    category["daily_revenue"] = divide_rounded(category["revenue"], np.full(len(category), MICROS // 100))
    category["avg_order_value"] = divide_rounded(category["revenue"], category["orders"] * (MICROS // 100))
    category["avg_return_rate"] = divide_rounded(category["returned_orders"] * 10_000, category["orders"])

    result = {
        "daily": [
            {
                "date_key": row.order_date.strftime("%Y-%m-%d"),
                "total_orders": int(row.total_orders),
                "total_revenue": exact(row.total_revenue, 2),
                "total_items_sold": int(row.total_items_sold),
                "return_rate": exact(row.return_rate, 4),
                "unique_customers": int(row.unique_customers),
            }
            for row in daily.itertuples(index=False)
        ],
        "category": [
            {
                "category": row.category,
                "date_key": row.order_date.strftime("%Y-%m-%d"),
                "daily_revenue": exact(row.daily_revenue, 2),
                "avg_order_value": exact(row.avg_order_value, 2),
                "avg_return_rate": exact(row.avg_return_rate, 4),
            }
            for row in category.itertuples(index=False)
        ],
    }
    with open(sys.argv[2], "w", encoding="utf-8") as output:
        output.write(to_json(result))

    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"peak_working_set_bytes": peak, "pandas_version": pd.__version__}))
    return 0


def to_json(result):
    """JSON with one row a line; a Decimal is written as a JSON number in full (json.dumps has no exact decimals)."""
    def value(v):
        return format(v, "f") if isinstance(v, Decimal) else json.dumps(v, ensure_ascii=False)

    grains = []
    for grain, rows in result.items():
        body = ",\n".join("    {" + ", ".join(f"{json.dumps(name)}: {value(v)}" for name, v in row.items()) + "}" for row in rows)
        grains.append(f'  "{grain}": [\n{body}\n  ]' if rows else f'  "{grain}": []')
    return "{\n" + ",\n".join(grains) + "\n}\n"


if __name__ == "__main__":
    sys.exit(main())
