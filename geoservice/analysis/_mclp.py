"""spopt's maximal covering model, built from the pairs in reach only (private).

``spopt.locate.MCLP.from_cost_matrix`` writes one PuLP term per demand × site pair,
zeros included: for 2 000 demand × 300 candidates that is 600 000 Python products,
about 95 % of the whole run when CBC itself takes a fraction of a second. The
coverage constraint of a demand point only needs the sites within the service
radius (3 % of the pairs at 2 km in a 20 km box); dropping the zero terms leaves
the same model (same variables, names, objective and constraints), so CBC finds
the same optimum. Everything else is spopt's own builder.
"""

from __future__ import annotations

import numpy as np


def mclp_from_cost_matrix(
    cost: np.ndarray,
    weights: np.ndarray,
    *,
    service_radius: float,
    p_facilities: int,
    predefined_facilities_arr: np.ndarray | None = None,
):
    """The ``spopt.locate.MCLP`` model of ``MCLP.from_cost_matrix``, built sparsely.

    Parameters
    ----------
    cost : numpy.ndarray
        Demand × site costs (finite).
    weights : numpy.ndarray
        Demand weights.
    service_radius : float
        A site covers the demand whose cost to it is at most this.
    p_facilities : int
        Sites to select, predefined ones included.
    predefined_facilities_arr : numpy.ndarray of bool, optional
        Sites that must be selected.

    Returns
    -------
    spopt.locate.MCLP
        Unsolved; ``solve`` it as spopt's own.
    """
    import pulp
    from spopt.locate import MCLP
    from spopt.locate.base import FacilityModelBuilder as build

    n_dem, n_site = cost.shape
    model = MCLP("mclp", pulp.LpProblem("mclp", pulp.LpMaximize))
    build.add_facility_integer_variable(model, range(n_site), "x[{i}]")
    build.add_client_integer_variable(model, range(n_dem), "y[{i}]")
    model.aij = (cost <= service_radius).astype(np.float64)
    flat_weights = np.asarray(weights, dtype=np.float64).ravel().tolist()
    model.problem += (
        pulp.LpAffineExpression(zip(model.cli_vars, flat_weights, strict=True)),
        "objective function",
    )
    if predefined_facilities_arr is not None:
        build.add_predefined_facility_constraint(model, predefined_facilities_arr)
    dem, site = np.nonzero(model.aij)  # row-major: sites of each demand in order
    cuts = np.searchsorted(dem, np.arange(n_dem + 1)).tolist()
    sites = site.tolist()
    fac_vars = model.fac_vars
    for i, demand_var in enumerate(model.cli_vars):
        reach = pulp.LpAffineExpression((fac_vars[j], 1.0) for j in sites[cuts[i] : cuts[i + 1]])
        model.problem += reach >= demand_var
    build.add_facility_constraint(model, p_facilities)
    return model
