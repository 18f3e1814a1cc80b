#!/bin/sh
echo "coverage tools are not available in granule's offline build" >&2
exit 1
