#!/usr/bin/env bash
# test_fit.sh FIT [DATA_DIR]: the fit command as its users drive it, on small tables written
# here. Expected numbers are derived by hand in the comments (standardization of a 4-row table,
# class counts of a stratified split), or checked against a second, independent reading of the
# same output (the accuracy recomputed from --predict's CSV with awk). Exits 1 on the first
# failure with what differed.
set -u
FIT=$(realpath "$1")
DATA=${2:+$(realpath "$2")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
n_ok=0
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { n_ok=$((n_ok + 1)); }
expect_in() { # expect_in FILE TEXT
    grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$1 lacks: $2"; }
}

# ---- --help: exit 0, on stdout, every option with its default, the CSV format, an example
"$FIT" --help >help.txt 2>help.err || fail "fit --help exited $?"
[ -s help.err ] && fail "fit --help wrote to stderr"
for opt in --target --header --loss --layers --act --init --optim --lr --epochs --batch --test \
    --seed --no-standardize --patience --model --plot --min-accuracy --max-loss --verify \
    --quiet --predict --out --info; do
    expect_in help.txt "$opt"
done
for text in "[0.01]" "[100]" "[32]" "[0.2]" "[model.tgm]" "[16]" "[relu]" "[adam]" "[auto]" \
    "count line" "example:" "test: loss L, accuracy A%"; do
    expect_in help.txt "$text"
done
ok

# ---- usage errors exit 2 with a message
for args in "--bogus x.csv" "x.csv --test 1.5" "x.csv --epochs 0" "x.csv --loss nope" \
    "x.csv --layers 3,,4" "" "x.csv --lr"; do
    # shellcheck disable=SC2086
    "$FIT" $args >out.txt 2>err.txt
    rc=$?
    [ $rc -eq 2 ] || fail "fit $args: exit $rc, want 2"
    [ -s err.txt ] || fail "fit $args: no message"
done
ok

# ---- standardization, by hand: features a = 1 2 3 4, b = 5 5 5 5 (constant), c = 0 0 0 8
#   mean 2.5, 5, 2; population sd sqrt(5/4) = 1.1180339887498949, 0 -> kept as 1, sqrt(12)
printf 'a,b,c,y\n1,5,0,0.5\n2,5,0,1\n3,5,0,1.5\n4,5,8,2\n' >tiny.csv
"$FIT" tiny.csv --test 0 --epochs 2 --model tiny.tgm --quiet >out.txt 2>err.txt ||
    fail "fit tiny.csv: $(cat err.txt)"
"$FIT" --info --model tiny.tgm >info.txt || fail "fit --info"
expect_in info.txt "task: regression, loss mse, label column y"
expect_in info.txt "a mean 2.5 scale 1.1180339887498949"
expect_in info.txt "b mean 5 scale 1"
expect_in info.txt "c mean 2 scale $(awk 'BEGIN { printf "%.17g", sqrt(12) }')"
"$FIT" tiny.csv --test 0 --epochs 2 --model raw.tgm --quiet --no-standardize >/dev/null ||
    fail "--no-standardize"
"$FIT" --info --model raw.tgm >info.txt
grep -q "mean" info.txt && fail "--no-standardize stored a standardization"
ok

# ---- the model file: the user's umask, atomically (no temporary file left beside it)
(umask 022 && "$FIT" tiny.csv --test 0 --epochs 1 --model m644.tgm --quiet >/dev/null)
[ "$(stat -c %a m644.tgm)" = 644 ] || fail "mode $(stat -c %a m644.tgm) under umask 022"
(umask 077 && "$FIT" tiny.csv --test 0 --epochs 1 --model m600.tgm --quiet >/dev/null)
[ "$(stat -c %a m600.tgm)" = 600 ] || fail "mode $(stat -c %a m600.tgm) under umask 077"
ls | grep -q tmp && fail "a temporary file was left: $(ls)"
ok

# ---- text labels and a header of names; stratified split: 10 "left" and 10 "right" rows,
# --test 0.2 takes round(10 x 0.2) = 2 of each: 16 train, 4 test, 2 true rows per class
{
    echo "x1,x2,side"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        echo "-$((i + 1)).5,0.$i,left"
        echo "$((i + 1)).25,-0.$i,right"
    done
} >sides.csv
"$FIT" sides.csv --epochs 60 --model sides.tgm --plot sides.svg >out.txt 2>err.txt ||
    fail "fit sides.csv: $(cat err.txt)"
expect_in out.txt "20 rows (16 train, 4 test), 2 features, 2 classes"
expect_in out.txt "loss bce, standardized"
grep -qE '^train: loss [^,]+, accuracy [0-9]+\.[0-9]{2}%   test: loss [^,]+, accuracy [0-9]+\.[0-9]{2}%$' \
    out.txt || fail "the summary line changed: $(grep test: out.txt)"
grep -qE '^  left +[0-9.%-]+ +[0-9.%-]+ +2$' out.txt || fail "left: not 2 test rows: $(cat out.txt)"
grep -qE '^  right +[0-9.%-]+ +[0-9.%-]+ +2$' out.txt || fail "right: not 2 test rows"
"$FIT" --info --model sides.tgm >info.txt
expect_in info.txt "task: binary classification, loss bce, label column side"
expect_in info.txt "classes: left right"
expect_in sides.svg "loss (bce) per epoch"
expect_in sides.svg "accuracy (%) per epoch"
expect_in sides.svg "decision regions"
ok

# ---- --predict: CSV with the input columns, the prediction and the probabilities; works with
# and without the label column; metrics on stderr only when labels are there
"$FIT" --predict sides.csv --model sides.tgm >pred.csv 2>metrics.txt || fail "--predict"
[ "$(head -1 pred.csv)" = "x1,x2,side,prediction,p_left,p_right" ] ||
    fail "predict header: $(head -1 pred.csv)"
[ "$(wc -l <pred.csv)" = 21 ] || fail "predict rows: $(wc -l <pred.csv)"
awk -F, 'NR > 1 { s = $5 + $6; if (s < 0.999999 || s > 1.000001) bad = 1 } END { exit bad }' \
    pred.csv || fail "probabilities do not sum to 1"
awk -F, 'NR > 1 { if (($6 > 0.5) != ($4 == "right")) bad = 1 } END { exit bad }' pred.csv ||
    fail "prediction disagrees with its probability"
# the accuracy on stderr, recomputed from the CSV
want=$(awk -F, 'NR > 1 { n++; right += ($3 == $4) } END { printf "%.2f%% (%d of %d rows)", 100 * right / n, right, n }' pred.csv)
expect_in metrics.txt "accuracy $want"
expect_in metrics.txt "confusion matrix"
expect_in metrics.txt "precision"
cut -d, -f1,2 sides.csv >nolabel.csv
"$FIT" --predict nolabel.csv --model sides.tgm --out nolabel_pred.csv 2>metrics.txt ||
    fail "--predict without labels: $(cat metrics.txt)"
[ -s metrics.txt ] && fail "metrics without labels: $(cat metrics.txt)"
[ "$(head -1 nolabel_pred.csv)" = "x1,x2,prediction,p_left,p_right" ] || fail "--out header"
diff <(cut -d, -f4- pred.csv) <(cut -d, -f3- nolabel_pred.csv) >/dev/null ||
    fail "predictions differ with and without the label column"
cut -d, -f1 sides.csv >short.csv
"$FIT" --predict short.csv --model sides.tgm >/dev/null 2>err.txt && fail "1 column accepted"
expect_in err.txt "the model takes 2 features"
ok

# ---- scikit-learn's count line: classes named by it, detected, or demanded by --header
{
    echo "12,2,red,green,blue"
    for i in 1 2 3 4; do
        echo "0.$i,0.$i,0"
        echo "5.$i,0.$i,1"
        echo "0.$i,5.$i,2"
    done
} >counted.csv
"$FIT" counted.csv --test 0.25 --epochs 80 --model counted.tgm >out.txt 2>err.txt ||
    fail "fit counted.csv: $(cat err.txt)"
expect_in out.txt "12 rows (9 train, 3 test), 2 features, 3 classes"
"$FIT" --info --model counted.tgm >info.txt
expect_in info.txt "classes: red green blue"
expect_in info.txt "loss softmax"
"$FIT" counted.csv --header none --epochs 1 --model x.tgm >/dev/null 2>err.txt &&
    fail "--header none took the count line as data"
expect_in err.txt ":1:"
"$FIT" --predict counted.csv --model counted.tgm >/dev/null 2>metrics.txt || fail "predict counted"
expect_in metrics.txt "(12 of 12 rows)"
ok

# ---- a regression reports MSE, MAE and R^2
{
    echo "x,y"
    for i in $(seq 0 39); do echo "$i,$((2 * i + 1))"; done
} >line.csv
"$FIT" line.csv --epochs 50 --model line.tgm >out.txt 2>err.txt || fail "fit line.csv"
grep -qE '^test: MSE [0-9.e+-]+, MAE [0-9.e+-]+, R\^2 -?[0-9.]+ \(8 rows\)$' out.txt ||
    fail "regression metrics: $(cat out.txt)"
"$FIT" --predict line.csv --model line.tgm >/dev/null 2>metrics.txt
expect_in metrics.txt "(40 rows)"
ok

# ---- early stopping keeps the best epoch
"$FIT" sides.csv --epochs 400 --lr 0.3 --patience 3 --model p.tgm >out.txt 2>&1 ||
    fail "--patience: $(cat out.txt)"
grep -qE '^early stop: kept epoch [0-9]+ of [0-9]+ \(test loss did not improve for 3\)$' out.txt ||
    fail "no early stop: $(cat out.txt)"
ok

# ---- an old (version 1) model file: refused without --loss, with a message that says why
if [ -n "$DATA" ]; then
    "$FIT" --predict "$DATA/blobs.csv" --model "$DATA/blobs.tgm" >/dev/null 2>err.txt &&
        fail "version-1 file used without --loss"
    expect_in err.txt "older fit"
    expect_in err.txt "--loss"
    "$FIT" --predict "$DATA/blobs.csv" --model "$DATA/blobs.tgm" --loss softmax >out.csv ||
        fail "version-1 file with --loss"
    ok
fi

# ---- bad data: a text feature, a missing file
printf 'a,b\n1,0\nx,1\n' >textfeat.csv
"$FIT" textfeat.csv --model x.tgm >/dev/null 2>err.txt && fail "text feature accepted"
expect_in err.txt 'textfeat.csv:3: column 1 (a): "x" is not a finite number'
"$FIT" missing.csv >/dev/null 2>err.txt && fail "missing file accepted"
expect_in err.txt "cannot open missing.csv"
ok

echo "test_fit: $n_ok groups passed"
