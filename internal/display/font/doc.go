// Package font holds the monospaced bitmap faces the status screen is drawn
// with, and turns arbitrary text into something they can draw.
//
// Small is a 5×8 face drawn for this project (21 characters across 128
// pixels); Medium is the public-domain X11 misc-fixed 7×13 face from
// golang.org/x/image/font/basicfont; Digits is Small's digits with an
// unslashed zero, drawn at 2–4× for the message count.
//
// # Text
//
// Clean maps any string to runes a face has: white space collapses, Latin
// accents are stripped (NFD), ß/æ/ø/ł and friends are spelled out, Cyrillic
// and Greek letters are romanised, typographic punctuation becomes ASCII and
// anything else (CJK, emoji) becomes a box. Fit cuts a line with "…".
//
// # Limits
//
// Clean reads at most MaxInput runes of its input.
package font
