"""Conformance classes the service declares: only those its tests exercise."""

from __future__ import annotations

FEATURES_1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
FEATURES_2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf"
FEATURES_3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"

FEATURES_CONFORMANCE = [
    f"{FEATURES_1}/core",
    f"{FEATURES_1}/oas30",
    f"{FEATURES_1}/html",
    f"{FEATURES_1}/geojson",
    f"{FEATURES_2}/crs",
    f"{FEATURES_3}/queryables",
    f"{FEATURES_3}/queryables-query-parameters",
    f"{FEATURES_3}/filter",
    f"{FEATURES_3}/features-filter",
    f"{CQL2}/cql2-text",
    f"{CQL2}/cql2-json",
    f"{CQL2}/basic-cql2",
    f"{CQL2}/advanced-comparison-operators",
    f"{CQL2}/case-insensitive-comparison",
    f"{CQL2}/accent-insensitive-comparison",
    f"{CQL2}/basic-spatial-functions",
    f"{CQL2}/basic-spatial-functions-plus",
    f"{CQL2}/spatial-functions",
    f"{CQL2}/temporal-functions",
    f"{CQL2}/property-property",
    f"{CQL2}/arithmetic",
]

FEATURES_4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf"
COMMON_5 = "http://www.opengis.net/spec/ogcapi-common-5/1.0/conf"

# Part 4 (OGC 20-002): older drafts and most clients use the ogcapi-features-4 URIs,
# the current draft and its executable test suite the ogcapi-common-5 ones for
# the classes shared with Common Part 5; both are declared for what tests exercise.
TRANSACTIONS_CONFORMANCE = [
    f"{FEATURES_4}/create-replace-delete",
    f"{FEATURES_4}/update",
    f"{FEATURES_4}/features",
    f"{COMMON_5}/create-replace-delete",
    f"{COMMON_5}/update",
    f"{COMMON_5}/optimistic-locking-etags",
]
