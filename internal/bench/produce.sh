#!/usr/bin/env bash
# produce.sh: econflow produce against kcat -P, both publishing the same JSON lines to Apache
# Kafka, alternating, each into a topic of its own (PARTITIONS, default 3, created first); prints
# each run's rate and the ratio of the medians. docs/performance.md.
#
#   internal/bench/produce.sh [RECORDS] [RUNS] [FILE]
#
# Without FILE, RECORDS (default 1000000) lines come from `econflow bench lines` (publishers'
# order). With FILE, a JSONL file of records is published (keys: kcat sends none, econflow its
# series key). With FORMAT (e.g. ecb-csv), FILE is a publisher's file: econflow produce reads it
# with --format FORMAT, and kcat publishes the records (key and line) that econflow's first run
# put on Kafka, read back with kcat -C. Env: ECONFLOW (default bin/econflow), BROKERS (default
# 127.0.0.1:19092), FORMAT (default jsonl).
set -euo pipefail
records=${1:-1000000}
runs=${2:-3}
file=${3:-}
econflow=${ECONFLOW:-bin/econflow}
brokers=${BROKERS:-127.0.0.1:19092}
partitions=${PARTITIONS:-3}
format=${FORMAT:-jsonl}
command -v kcat >/dev/null || { echo "produce.sh: kcat not found (Debian: apt-get install kcat)" >&2; exit 1; }
tmp=$(mktemp -d)
topics=()
kafka_libs=${ECONFLOW_KAFKA_HOME:-${HOME:-/root}/.cache/econflow/kafka}/libs # deploy/kafka.sh's jars
cleanup() {
	rm -rf "$tmp"
	[ ${#topics[@]} -eq 0 ] && return
	if java -cp "$kafka_libs/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" \
		--delete --topic "$(IFS='|'; echo "${topics[*]}")" >/dev/null 2>&1; then
		echo "deleted topics ${topics[*]}" >&2
	else
		echo "could not delete topics on $brokers: ${topics[*]}" >&2
	fi
}
trap cleanup EXIT
if [ -z "$file" ]; then
	"$econflow" bench lines --records "$records" >"$tmp/lines.jsonl"
	"$econflow" bench lines --records "$records" --keys >"$tmp/keyed.txt"
	kcat_args=(-K $'\t')
	kcat_in=$tmp/keyed.txt
	file=$tmp/lines.jsonl
elif [ "$format" = jsonl ]; then
	kcat_args=()
	kcat_in=$file
else
	kcat_args=(-K $'\t')
	kcat_in=$tmp/records.txt # written after econflow's first run
fi
lines=$(wc -l <"$file")
[ "$format" = jsonl ] || lines= # counted from the records econflow sent
stamp=$(date +%s%N)
rates_e=() rates_k=()
time_it() { # time_it IN CMD…: wall seconds of CMD reading IN
	local in=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" <"$in" >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
topic() { # topic NAME: create it
	topics+=("$1")
	java -cp "$kafka_libs/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" \
		--create --topic "$1" --partitions "$partitions" --replication-factor 1 >/dev/null
}
for i in $(seq 1 "$runs"); do
	t="econ.fuel_prices.produce$stamp.e$i"
	topic "$t"
	if [ "$format" = jsonl ]; then
		s=$(time_it "$file" "$econflow" produce --log-level warn --brokers "$brokers" --topic-fuel-prices "$t" -)
	else
		s=$(time_it /dev/null "$econflow" produce --format "$format" --log-level warn --brokers "$brokers" \
			--topic-fuel-prices "$t" --topic-wages "$t" --topic-fx-rates "$t" --topic-indicators "$t" "$file")
		if [ -z "$lines" ]; then
			kcat -C -b "$brokers" -t "$t" -e -q -f '%k\t%s\n' >"$kcat_in"
			lines=$(wc -l <"$kcat_in")
		fi
	fi
	rates_e+=("$(echo "$lines / $s" | bc)")
	t="econ.fuel_prices.produce$stamp.k$i"
	topic "$t"
	# kcat sends a file named on its command line as one message: the lines go on stdin
	s=$(time_it "$kcat_in" kcat -P -b "$brokers" -t "$t" "${kcat_args[@]}")
	rates_k+=("$(echo "$lines / $s" | bc)")
	echo "run $i: econflow produce ${rates_e[-1]} lines/s, kcat -P ${rates_k[-1]} lines/s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
me=$(median "${rates_e[@]}") mk=$(median "${rates_k[@]}")
echo "$lines lines, $runs runs: econflow produce $me lines/s, kcat -P $mk lines/s (medians); ratio $(echo "scale=2; $me / $mk" | bc)"
