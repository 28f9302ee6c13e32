#!/bin/sh
# Regenerate the README's example posters from ../shared/media (run from the repository root).
set -e
MEDIA=${MEDIA:-../shared/media}
BBB=$MEDIA/russhughes-TinyBigBuckBunny/tiny_big_buck_bunny_160x120_4fps.mkv
SINTEL=$MEDIA/saveniukoleh-ar-page/sintel_trailer_480x204.mp4
DB=$(mktemp -d)
PY=${PY:-.venv/bin/python}
$PY examples/export_poster.py "$BBB" docs/posters/big-buck-bunny-average.png --px 1200x420 --title "Big Buck Bunny" --ticks --db "$DB/bbb.db"
$PY examples/export_poster.py "$BBB" docs/posters/big-buck-bunny-dominant.png --px 1200x420 --mode dominant --to 8:48 --db "$DB/bbb.db"
$PY examples/export_poster.py "$BBB" docs/posters/big-buck-bunny-shots.png --px 1200x420 --mode shots --to 8:48 --db "$DB/bbb.db"
$PY examples/export_poster.py "$SINTEL" docs/posters/sintel-trailer-dominant.png --px 1200x420 --mode dominant --title "Sintel" --dense --db "$DB/sintel.db"
$PY examples/export_poster.py "$SINTEL" docs/posters/sintel-trailer-smooth.png --px 1200x420 --mode smooth --dense --db "$DB/sintel.db"
rm -rf "$DB"
