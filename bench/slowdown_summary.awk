# slowdown_summary.awk: summary of a run table from redis_slowdown.sh / py_slowdown.sh.
# Input lines: CONFIG REP WALL_S ... with the server/program CPU seconds in column CPUCOL
# (default 5). Output, per configuration: median wall and CPU, and the median, min and max of
# the per-repetition slowdown against the bare run of the same repetition, in percent.
function med(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN { if (!CPUCOL) CPUCOL = 5 }
$1 ~ /^(bare|record|pre67|strace)$/ && $2 ~ /^[0-9]+$/ { w[$1, $2] = $3; c[$1, $2] = $CPUCOL; reps[$2] = 1; seen[$1] = 1 }
END {
    split("bare record pre67 strace", cfgs, " ")
    for (k = 1; k <= 4; k++) {
        cfg = cfgs[k]
        if (!seen[cfg]) continue
        n = 0
        for (r in reps) if ((cfg, r) in w && ("bare", r) in w) {
            n++
            ww[n] = w[cfg, r]; cc[n] = c[cfg, r]
            rw[n] = 100 * (w[cfg, r] / w["bare", r] - 1)
            rc[n] = 100 * (c[cfg, r] / c["bare", r] - 1)
        }
        mw = med(ww, n); mc = med(cc, n); srw = med(rw, n); lo = rw[1]; hi = rw[n]
        src = med(rc, n); clo = rc[1]; chi = rc[n]
        printf "median %-7s wall_s %.3f cpu_s %.2f wall_slowdown_pct %.1f range %.1f..%.1f cpu_overhead_pct %.1f range %.1f..%.1f\n", cfg, mw, mc, srw, lo, hi, src, clo, chi
    }
}
