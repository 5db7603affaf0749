# Runs SQL on current ClickHouse in-process through the chdb package, for econflow's
# cross-engine tests (package enginetest). Reads one JSON request from stdin:
#   {"path": "<session directory>", "stop_on_error": true,
#    "queries": [{"sql": "...", "format": "TSV"}, ...]}
# and writes one JSON array to stdout, one object per query run:
#   {"out": "<base64 of the output>", "rows_read": N, "error": "<message>" or null}
# where rows_read counts the table rows read (chdb's storage_rows_read; its rows_read counts
# the rows of the result).
import base64
import json
import sys

from chdb import session


def main():
    req = json.load(sys.stdin)
    sess = session.Session(req["path"])
    results = []
    try:
        for q in req["queries"]:
            try:
                res = sess.query(q["sql"], q.get("format") or "TSV")
                results.append({"out": base64.b64encode(res.bytes()).decode("ascii"),
                                "rows_read": res.storage_rows_read(), "error": None})
            except Exception as e:  # chdb raises its own error type; the message is what counts
                results.append({"out": "", "rows_read": 0, "error": str(e)})
                if req.get("stop_on_error"):
                    break
    finally:
        sess.close()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
