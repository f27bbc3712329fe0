#!/usr/bin/env bash
# Check every relative link of the repository's Markdown files: the target
# exists inside the repository and, for a #fragment, the target page has a
# heading with that anchor (GitHub's rule: lower case, punctuation dropped,
# spaces to hyphens).  Web links are not followed.  Exit 1 on a broken one.
#   scripts/check-links.sh        (from anywhere in the repository)
set -u
root=$(git rev-parse --show-toplevel) || exit 2
cd "$root" || exit 2

anchors_of() {  # the heading anchors of a Markdown file, one a line
    grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//; s/ +#+ *$//' |
        tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

broken=0
while IFS= read -r page; do
    dir=$(dirname "$page")
    # Every ](target) on the page, code blocks included: a link there is text.
    while IFS= read -r link; do
        target=${link%%#*} fragment=
        [[ $link == *#* ]] && fragment=${link#*#}
        case $target in http://* | https://* | mailto:*) continue ;; esac
        file=$page
        if [ -n "$target" ]; then
            file=$(realpath -m "$dir/$target")
            case $file in "$root"/*) file=${file#"$root"/} ;; *) file=/outside ;; esac
        fi
        if [ ! -e "$file" ]; then
            echo "$page: broken link ($link): no $file" >&2
            broken=1
        elif [ -n "$fragment" ] && [[ $file == *.md ]] && ! anchors_of "$file" | grep -qxF "$fragment"; then
            echo "$page: broken link ($link): no heading #$fragment in $file" >&2
            broken=1
        fi
    done < <(grep -v '^    ' "$page" | grep -oE '\]\([^) ]+\)' | sed -E 's/^\]\(//; s/\)$//')
done < <(git ls-files --cached --others --exclude-standard '*.md')
[ $broken = 0 ] && echo "check-links: every relative link resolves"
exit $broken
