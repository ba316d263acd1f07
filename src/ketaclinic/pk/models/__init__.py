"""The library of published ketamine and esketamine PK models.

Each model lives in its own module as data (citation, parameters with provenance,
validity) plus a small builder. ``get_model(id)`` looks one up; ``all_models()`` lists
them in a stable order.
"""

from __future__ import annotations

from functools import cache

from ketaclinic.errors import NotFoundError
from ketaclinic.pk.model import PKModel

__all__ = ["DEFAULT_ADULT_MODEL", "all_models", "get_model", "models_by_route"]

#: The default adult racemic model (meta-analysis set; literature sheet item F).
DEFAULT_ADULT_MODEL = "kamp-2020"


@cache
def _registry() -> dict[str, PKModel]:
    from ketaclinic.pk.models import (
        clements1981,
        domino1982,
        elkomy2015,
        flint2017,
        herd2007,
        hijazi2003,
        hornik2018,
        kamp2020,
        perezruixo2021,
        sherwin2015,
    )

    models: list[PKModel] = [
        *kamp2020.MODELS,
        *domino1982.MODELS,
        *hijazi2003.MODELS,
        *clements1981.MODELS,
        *herd2007.MODELS,
        *hornik2018.MODELS,
        *elkomy2015.MODELS,
        *sherwin2015.MODELS,
        *flint2017.MODELS,
        *perezruixo2021.MODELS,
    ]
    return {m.id: m for m in models}


def all_models() -> tuple[PKModel, ...]:
    return tuple(_registry().values())


def get_model(model_id: str) -> PKModel:
    """The model with this id, or a NotFoundError listing the ids there are."""
    reg = _registry()
    try:
        return reg[model_id]
    except KeyError:
        raise NotFoundError(
            f"model must be one of {', '.join(reg)}, got {model_id!r}",
            field="model",
            value=model_id,
            limit=", ".join(reg),
        ) from None


@cache
def models_by_route() -> dict[str, str]:
    """route -> comma-separated ids of the models that can take it."""
    out: dict[str, list[str]] = {}
    for m in all_models():
        for r in m.routes:
            out.setdefault(r, []).append(m.id)
    return {r: ", ".join(ids) for r, ids in out.items()}
