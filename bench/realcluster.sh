#!/bin/bash
# realcluster.sh: cupaas side by side with the same steps typed by hand, on
# a real cluster (the realcluster bed, context minikube), for the Flask +
# Redis example. Run it by hand, or through the end-to-end tier
# (go test -tags e2e -run TestBenchRealCluster ./internal/e2e/).
#
#   bench/realcluster.sh [-n RUNS] [--strict]
#
# Each run, from the same warm Docker layer cache and into fresh namespaces:
#   1. by hand: docker build, minikube image load, kubectl apply, kubectl
#      rollout status (StatefulSet, then Deployment), minikube service --url,
#      one curl; the manifests are those `cupaas render --out` writes;
#   2. cupaas deploy, first deploy of another copy of the app;
#   3. cupaas deploy again, nothing changed;
#   4. cupaas deploy after a one-line change of app.py (deploy minus its
#      Build image step is what the tool adds to the build).
# It prints each figure and the ratios, then the targets: first deploy
# <= 0.9x by hand, no-change redeploy <= 0.5 s, code change minus build
# <= 3 s. With --strict a missed target exits 1. CUPAAS names the binary
# (default: built from this checkout into a temporary directory).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
RUNS=1 STRICT=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) RUNS=$2; shift 2;;
    --strict) STRICT=1; shift;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) echo "realcluster.sh: unknown argument $1 (see --help)" >&2; exit 2;;
  esac
done
CTX=minikube
WORK=$(mktemp -d /tmp/cupaas-bench.XXXXXX)
ID=$(basename "$WORK" | tr -dc 'a-z0-9' | tail -c 6)
NAMESPACES=()
cleanup() {
  for ns in "${NAMESPACES[@]+"${NAMESPACES[@]}"}"; do
    kubectl --context "$CTX" delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${CUPAAS:-}" ]; then
  CUPAAS=$WORK/cupaas
  (cd "$ROOT" && go build -o "$CUPAAS" ./cmd/cupaas)
fi
export NO_COLOR=1 XDG_CONFIG_HOME=$WORK/no-settings

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
say() { printf '%s\n' "$*" >&2; }

# copy NAME: the example in $WORK/NAME under app name NAME, one commit.
copy() {
  local dir=$WORK/$1
  cp -r "$ROOT/examples/python-flask-redis" "$dir"
  sed -i "s/^name: counter\$/name: $1/" "$dir/.cupaas.yml"
  git -C "$dir" init -q -b main
  git -C "$dir" -c user.name=bench -c user.email=bench@example.invalid add -A
  git -C "$dir" -c user.name=bench -c user.email=bench@example.invalid commit -q -m bench
  NAMESPACES+=("$1")
  echo "$dir"
}

deploy() { # DIR ARGS...: cupaas deploy --json, the report on stdout
  local dir=$1; shift
  if ! (cd "$dir" && "$CUPAAS" deploy --json --context "$CTX" "$@" 2>"$WORK/last.err"); then
    say "cupaas deploy failed in $dir:"; cat "$WORK/last.err" >&2; return 1
  fi
}

json() { # FILE EXPR: a number from a deploy report
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

byhand() { # NAME: the steps typed one after another; prints the seconds
  local name=$1 dir=$WORK/$1 t0 url
  (cd "$dir" && "$CUPAAS" render --out .cupaas/out >/dev/null)
  local img
  img=$(cd "$dir" && "$CUPAAS" render | sed -n 's/^ *image: \(cupaas\/[^ ]*\)$/\1/p' | head -1)
  t0=$(now)
  (cd "$dir" && docker build -q -t "$img" -f .cupaas/out/Dockerfile . >/dev/null)
  minikube image load "$img" >/dev/null
  kubectl --context "$CTX" apply -f "$dir/.cupaas/out/kubernetes.yaml" >/dev/null
  kubectl --context "$CTX" -n "$name" rollout status "statefulset/$name-redis" --timeout 5m >/dev/null
  kubectl --context "$CTX" -n "$name" rollout status "deployment/$name" --timeout 5m >/dev/null
  url=$(minikube service "$name" -n "$name" --url | head -1)
  curl -fsS --max-time 5 --retry 30 --retry-delay 1 --retry-all-errors "$url/health" >/dev/null
  secs "$t0" "$(now)"
}

ROWS=()
for run in $(seq "$RUNS"); do
  say "== run $run of $RUNS (bench id $ID)"
  # The warm cache: a third copy deployed first, so that both measured
  # builds reuse the same layers and rebuild only the app's own files.
  warm=$(copy "bw-$ID-$run")
  deploy "$warm" >/dev/null
  hand=$(copy "bh-$ID-$run")
  cup=$(copy "bc-$ID-$run")

  t_hand=$(byhand "bh-$ID-$run")
  say "by hand:            ${t_hand}s"

  t0=$(now); deploy "$cup" >"$WORK/first.json"; t_first=$(secs "$t0" "$(now)")
  say "cupaas deploy:      ${t_first}s"

  t0=$(now); deploy "$cup" >"$WORK/same.json"; t_same=$(secs "$t0" "$(now)")
  say "no-change redeploy: ${t_same}s"

  printf '\n# bench run %s %s\n' "$run" "$ID" >>"$cup/app.py"
  sed -i 's/jsonify({"visits": visits,/jsonify({"version": 2, "visits": visits,/' "$cup/app.py"
  git -C "$cup" -c user.name=bench -c user.email=bench@example.invalid commit -q -am change
  t0=$(now); deploy "$cup" >"$WORK/change.json"; t_change=$(secs "$t0" "$(now)")
  t_build=$(json "$WORK/change.json" '[s["seconds"] for s in r["steps"] if s["name"]=="Build image"][0]')
  t_rest=$(awk -v a="$t_change" -v b="$t_build" 'BEGIN { printf "%.2f", a - b }')
  say "code change:        ${t_change}s (build ${t_build}s, the rest ${t_rest}s)"
  say "steps of the first deploy: $(json "$WORK/first.json" '", ".join("%s %.1f" % (s["name"], s["seconds"]) for s in r["steps"])')"
  say "steps of the code change:  $(json "$WORK/change.json" '", ".join("%s %.1f" % (s["name"], s["seconds"]) for s in r["steps"])')"
  ROWS+=("$t_hand $t_first $t_same $t_change $t_build $t_rest")
  for ns in "bw-$ID-$run" "bh-$ID-$run" "bc-$ID-$run"; do
    kubectl --context "$CTX" delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  done
done

printf '%s\n' "${ROWS[@]}" | awk -v strict="$STRICT" '
  { hand[NR]=$1; first[NR]=$2; same[NR]=$3; change[NR]=$4; build[NR]=$5; rest[NR]=$6; n=NR }
  function range(a,   i, lo, hi) { lo=a[1]; hi=a[1]; for (i=2;i<=n;i++) { if (a[i]<lo) lo=a[i]; if (a[i]>hi) hi=a[i] }
    return n==1 ? sprintf("%.2f", lo) : sprintf("%.2f-%.2f", lo, hi) }
  END {
    for (i=1;i<=n;i++) ratio[i]=sprintf("%.2f", first[i]/hand[i])
    printf "run  by-hand  cupaas  ratio  no-change  change  build  change-build\n"
    for (i=1;i<=n;i++) printf "%-4d %7.2f %7.2f %6.2f %10.2f %7.2f %6.2f %13.2f\n", i, hand[i], first[i], ratio[i], same[i], change[i], build[i], rest[i]
    miss=0
    for (i=1;i<=n;i++) { if (ratio[i]>0.9) m1++; if (same[i]>0.5) m2++; if (rest[i]>3) m3++ }
    printf "first deploy / by hand:  %s (target <= 0.90; met in %d of %d runs)\n", range(ratio), n-m1, n
    printf "no-change redeploy:      %ss (target <= 0.50; met in %d of %d runs)\n", range(same), n-m2, n
    printf "code change minus build: %ss (target <= 3.00; met in %d of %d runs)\n", range(rest), n-m3, n
    if (strict && (m1+m2+m3) > 0) exit 1
  }'
