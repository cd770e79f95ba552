#!/bin/sh
# embed.sh FILE NAME: FILE as a C string constant NAME, on stdout.  The
# console is one HTML file in the tree; podvisord serves it from memory.
printf '/* Generated from %s by embed.sh: do not edit. */\n' "${1##*/}"
printf 'extern const char %s[];\n' "$2"
printf 'const char %s[] =\n' "$2"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$1"
printf ';\n'
