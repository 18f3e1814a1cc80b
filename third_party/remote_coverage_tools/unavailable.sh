#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
echo "coverage tools are not available in granule's offline build" >&2
exit 1
