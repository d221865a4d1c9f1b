#!/usr/bin/env bash
# The file-level graph of the module: which C file uses a function or
# variable of which other (nm on the objects that make builds), and its
# cycles: there must be none (the module variable ngx_http_csq_module, the
# one name every file may use, excepted).  Exits 1 on a cycle.
#
#   bash .ci/layers.sh [objects dir] [generated objects dir]   (after make)

set -euo pipefail

objs=${1:-build/nginx/objs/addon/ngx_csq_module}
gen=${2:-build/nginx/objs/addon/csq}
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

declare -A def
for o in "$objs"/*.o "$gen"/*.o; do
    [ -f "$o" ] || continue
    f=$(basename "$o" .o)
    for s in $(nm --defined-only "$o" | awk '$2 ~ /[TDBR]/ { print $3 }'); do
        def[$s]=$f
    done
done

for o in "$objs"/*.o "$gen"/*.o; do
    [ -f "$o" ] || continue
    f=$(basename "$o" .o)
    for s in $(nm -u "$o" | awk '{ print $2 }'); do
        t=${def[$s]:-}
        if [ -n "$t" ] && [ "$t" != "$f" ] && [ "$s" != ngx_http_csq_module ]
        then
            echo "$f $t"
        fi
    done
done | sort -u > "$edges"

[ -s "$edges" ] || { echo "no objects in $objs" >&2; exit 2; }

# the graph, then its strongly connected parts of more than one file
perl -e '
    my (%g, %idx, %low, %on, @st, @cyc);
    my $i = 0;
    while (<>) { my ($a, $b) = split; push @{ $g{$a} }, $b; $g{$b} ||= [] }
    sub scc {
        my ($v) = @_;
        $idx{$v} = $low{$v} = $i++; push @st, $v; $on{$v} = 1;
        for my $w (@{ $g{$v} }) {
            if (!defined $idx{$w}) { scc($w); $low{$v} = $low{$w} if $low{$w} < $low{$v} }
            elsif ($on{$w}) { $low{$v} = $idx{$w} if $idx{$w} < $low{$v} }
        }
        if ($low{$v} == $idx{$v}) {
            my @c; my $w;
            do { $w = pop @st; delete $on{$w}; push @c, $w } while ($w ne $v);
            push @cyc, [sort @c] if @c > 1;
        }
    }
    for my $v (sort keys %g) { scc($v) unless defined $idx{$v} }
    for my $v (sort keys %g) { print "$v -> @{[sort @{ $g{$v} }]}\n" }
    if (@cyc) { print "cycles: ", join("; ", map { "@$_" } @cyc), "\n"; exit 1 }
    print "cycles: none\n";
' "$edges"
