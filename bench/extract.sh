#!/usr/bin/env bash
# DataExtract: a FULL package of every view of a demo workspace, built by `arenite extract run`,
# against a baseline measured on the same database in the same run: the sqlite3 command-line
# tool writing the same rows as CSV (-csv, equivalent queries, one file per view) followed by
# `zip -6` of those files. Wall time, rows per second and peak resident memory (/usr/bin/time)
# of both, their CPU time (user + system, which matters on a shared machine), and the cost per
# row, for each size in BENCH_EXTRACT_ITEMS (default "100000 1000000"; the 1,000,000-item fill
# alone takes about five minutes and 3.3 GB of disk).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ARENITE_BIN:-build/bin/arenite}
sizes=${BENCH_EXTRACT_ITEMS:-100000 1000000}
for tool in sqlite3 zip /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "bench: $tool is missing; run scripts/install-deps.sh" >&2
    exit 1
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The baseline's queries: the views' columns (docs/DATAEXTRACT.md) with the same joins, times
# formatted as the package writes them.
cat >"$work/baseline.sql" <<'SQL'
.headers on
.mode csv
.output Items_Summary.csv
SELECT 'INSERT' AS "Trans Type", i.guid AS "Guid", i.number AS "Item Number",
  r.name AS "Item Name", r.revision_number AS "Revision",
  CASE r.status WHEN 0 THEN 'WORKING' WHEN 1 THEN 'EFFECTIVE' ELSE 'SUPERSEDED' END
    AS "Revision Status",
  r.description AS "Description", c.path AS "Category", p.name AS "Lifecycle Phase",
  r.uom AS "Unit of Measure", r.procurement_type AS "Procurement Type",
  r.production_cost AS "Production Cost",
  strftime('%Y-%m-%dT%H:%M:%SZ', i.created_at, 'unixepoch') AS "Creation Date",
  strftime('%Y-%m-%dT%H:%M:%SZ', r.effective_at, 'unixepoch') AS "Effective Date",
  strftime('%Y-%m-%dT%H:%M:%SZ', i.updated_at, 'unixepoch') AS "Last Modified Date"
FROM items i JOIN item_revisions r ON r.guid = COALESCE(i.effective_rev, i.working_rev)
LEFT JOIN item_categories c ON c.guid = r.category_guid
LEFT JOIN lifecycle_phases p ON p.guid = r.phase_guid
WHERE i.workspace_guid = :ws ORDER BY i.created_at, i.guid;
.output Items_BOM.csv
SELECT 'INSERT' AS "Trans Type", b.guid AS "Guid", pi.guid AS "Parent Item Guid",
  pi.number AS "Parent Item Number", pr.revision_number AS "Parent Item Revision",
  ci.guid AS "Child Item Guid", ci.number AS "Child Item Number",
  cr.revision_number AS "Child Item Revision", b.quantity AS "Quantity", b.notes AS "Notes",
  b.ref_des AS "Reference Designators", b.line_number AS "Find Number"
FROM items pi JOIN item_revisions pr ON pr.guid = COALESCE(pi.effective_rev, pi.working_rev)
JOIN bom_lines b ON b.parent_rev = pr.guid JOIN items ci ON ci.guid = b.child_item
JOIN item_revisions cr ON cr.guid = COALESCE(ci.effective_rev, ci.working_rev)
WHERE pi.workspace_guid = :ws ORDER BY pi.created_at, pi.guid, b.line_number;
.output Items_Sourcing.csv
SELECT 'INSERT' AS "Trans Type", s.guid AS "Guid", i.guid AS "Item Guid",
  i.number AS "Item Number", r.revision_number AS "Item Revision",
  m.guid AS "Manufacturer Item Guid", m.number AS "Manufacturer Item Number",
  v.guid AS "Vendor Item Guid", v.number AS "Vendor Item Number", s.aml_rank AS "AML Rank",
  CASE s.approved WHEN 0 THEN 'false' ELSE 'true' END AS "Approved",
  CASE s.active_production WHEN 0 THEN 'false' ELSE 'true' END AS "Active Production",
  CASE s.active_prototype WHEN 0 THEN 'false' ELSE 'true' END AS "Active Prototype",
  CASE s.make_item WHEN 0 THEN 'false' ELSE 'true' END AS "Make Item"
FROM items i JOIN item_revisions r ON r.guid = COALESCE(i.effective_rev, i.working_rev)
JOIN sourcing s ON s.rev_guid = r.guid LEFT JOIN supplier_items m ON m.guid = s.mfr_item
LEFT JOIN supplier_items v ON v.guid = s.vendor_item
WHERE i.workspace_guid = :ws ORDER BY i.created_at, i.guid;
.output Changes_Summary.csv
SELECT 'INSERT' AS "Trans Type", guid AS "Guid", number AS "Change Number", title AS "Title",
  description AS "Description", effectivity_type AS "Effectivity Type",
  status AS "Lifecycle Status",
  strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') AS "Creation Date",
  strftime('%Y-%m-%dT%H:%M:%SZ', effective_at, 'unixepoch') AS "Effective Date",
  strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch') AS "Last Modified Date",
  (SELECT cc.path FROM change_categories cc WHERE cc.guid = changes.category_guid) AS "Category"
FROM changes WHERE workspace_guid = :ws ORDER BY guid;
.output Changes_Items.csv
SELECT 'INSERT' AS "Trans Type", ci.guid AS "Guid", c.guid AS "Change Guid",
  c.number AS "Change Number", i.guid AS "Item Guid", i.number AS "Item Number",
  ci.new_revision_number AS "New Revision", p.name AS "New Lifecycle Phase"
FROM change_items ci JOIN changes c ON c.guid = ci.change_guid
JOIN items i ON i.guid = ci.item_guid LEFT JOIN lifecycle_phases p ON p.guid = ci.new_phase_guid
WHERE ci.workspace_guid = :ws ORDER BY ci.guid;
.output Suppliers_Summary.csv
SELECT 'INSERT' AS "Trans Type", guid AS "Guid", name AS "Supplier Name",
  supplier_id AS "Supplier ID", account_number AS "Account Number",
  description AS "Description", website AS "Website", approval_status AS "Approval Status",
  strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') AS "Creation Date",
  strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch') AS "Last Modified Date"
FROM suppliers WHERE workspace_guid = :ws ORDER BY guid;
.output Supplier_Items_Summary.csv
SELECT 'INSERT' AS "Trans Type", si.guid AS "Guid", s.guid AS "Supplier Guid",
  s.name AS "Supplier Name", si.number AS "Number", si.name AS "Name",
  si.description AS "Description", si.type AS "Type", si.uom AS "Unit of Measure",
  strftime('%Y-%m-%dT%H:%M:%SZ', si.created_at, 'unixepoch') AS "Creation Date",
  strftime('%Y-%m-%dT%H:%M:%SZ', si.updated_at, 'unixepoch') AS "Last Modified Date"
FROM supplier_items si JOIN suppliers s ON s.guid = si.supplier_guid
WHERE si.workspace_guid = :ws ORDER BY si.number;
.output stdout
SQL

# measure NAME COMMAND...: runs it under /usr/bin/time into $work/NAME.time: wall seconds, peak
# resident KiB, CPU seconds.
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M %U %S' -o "$work/$name.raw" "$@"
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$work/$name.raw" >"$work/$name.time"
}

printf 'bench password 123\n' >"$work/pw"
results=()
for items in $sizes; do
  data="$work/data-$items"
  ids=$("$bin" init --data-dir "$data" --workspace Bench --admin-email bench@bench.test \
    --admin-password-file "$work/pw" 2>/dev/null)
  workspace=$(echo "$ids" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workspaceId"])')
  fill_start=$(date +%s.%N)
  "$bin" demo-data --data-dir "$data" --workspace "$workspace" --items "$items" --seed 7 \
    >/dev/null 2>&1
  fill_s=$(python3 -c "print(f'{$(date +%s.%N) - $fill_start:.1f}')")
  echo "bench: demo-data filled $items items in $fill_s s (load average $(cut -d' ' -f1 /proc/loadavg))"
  cat "$data/arenite.db" >/dev/null  # both start from a warm page cache

  measure ours "$bin" extract run --data-dir "$data" --workspace "$workspace" --views all \
    --out "$work/ours.zip" --progress none >"$work/ours.json"
  read -r ours_s ours_kib ours_cpu <"$work/ours.time"
  rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows"])' "$work/ours.json")
  ours_mib=$(du -m "$work/ours.zip" | cut -f1)
  # The same with the database memory-mapped (resident memory then counts the mapped pages).
  measure mapped "$bin" extract run --data-dir "$data" --workspace "$workspace" --views all \
    --out "$work/mapped.zip" --progress none --map-database >/dev/null
  read -r mapped_s mapped_kib mapped_cpu <"$work/mapped.time"

  mkdir -p "$work/base"
  (cd "$work/base" && measure sqlite sqlite3 -csv -cmd ".parameter set :ws '$workspace'" \
    "$data/arenite.db" <"$work/baseline.sql")
  read -r sqlite_s sqlite_kib sqlite_cpu <"$work/sqlite.time"
  (cd "$work/base" && measure zip zip -6 -q "$work/base.zip" ./*.csv)
  read -r zip_s zip_kib zip_cpu <"$work/zip.time"
  base_rows=$(python3 - "$work/base" <<'PY'
import csv, glob, sys
print(sum(sum(1 for _ in csv.reader(open(f, newline=''))) - 1 for f in glob.glob(sys.argv[1] + '/*.csv')))
PY
)
  base_mib=$(du -m "$work/base.zip" | cut -f1)
  [ "$base_rows" -eq "$rows" ] || echo "bench: the baseline wrote $base_rows rows, ours $rows" >&2
  load=$(cut -d' ' -f1 /proc/loadavg)
  results+=("$items|$rows|$ours_s|$ours_kib|$ours_mib|$sqlite_s|$zip_s|$sqlite_kib|$zip_kib|$base_mib|$ours_cpu|$sqlite_cpu|$zip_cpu|$load|$mapped_s|$mapped_kib|$mapped_cpu")
  rm -rf "$data" "$work/base" "$work/ours.zip" "$work/mapped.zip" "$work/base.zip"
done

printf '\nDataExtract FULL package of every view, %s cores; baseline sqlite3 -csv then zip -6\n\n' \
  "$(nproc)"
printf '| items | rows | tool | time s | rows/s | peak RSS MiB | us per row | CPU s | ZIP MiB |\n'
printf '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for r in "${results[@]}"; do
  IFS='|' read -r items rows os ok om ss zs sk zk bm oc sc zc load ms mk mc <<<"$r"
  awk -v i="$items" -v n="$rows" -v os="$os" -v ok="$ok" -v om="$om" -v ss="$ss" -v zs="$zs" \
    -v sk="$sk" -v zk="$zk" -v bm="$bm" -v oc="$oc" -v sc="$sc" -v zc="$zc" -v l="$load" \
    -v ms="$ms" -v mk="$mk" -v mc="$mc" 'BEGIN {
      b = ss + zs; bk = (sk > zk) ? sk : zk; bc = sc + zc
      printf "| %d | %d | arenite extract run | %.2f | %.0f | %.1f | %.2f | %.2f | %d |\n",
        i, n, os, n / os, ok / 1024, os * 1e6 / n, oc, om
      printf "| %d | %d | sqlite3 -csv (%.2f s) + zip -6 (%.2f s) | %.2f | %.0f | %.1f | %.2f | %.2f | %d |\n",
        i, n, ss, zs, b, n / b, bk / 1024, b * 1e6 / n, bc, bm
      printf "| %d | %d | arenite extract run --map-database | %.2f | %.0f | %.1f | %.2f | %.2f | %d |\n",
        i, n, ms, n / ms, mk / 1024, ms * 1e6 / n, mc, om
      printf "| %d | | baseline / arenite (load average %s) | %.2fx | | | | %.2fx | |\n",
        i, l, b / os, bc / oc
      printf "| %d | | baseline / arenite --map-database | %.2fx | | | | %.2fx | |\n",
        i, b / ms, bc / mc
    }'
done
