"""Patient-level binary response (one row per patient: response 0/1, arm, covariates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.data._checks import (
    NamedControl,
    as_names,
    distinct_roles,
    label_column,
    require_columns,
    require_numeric,
    require_rows,
)
from bayeshcc.data.binary import BinaryData
from bayeshcc.errors import DataError, format_rows

__all__ = ["BinaryPatientData"]


@dataclass(frozen=True, eq=False, repr=False)
class BinaryPatientData(NamedControl):
    """Validated patient-level binary outcomes (e.g. objective response) with covariates.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns named as given: the response (0/1 as int), the arm (text) and the covariates
        (numeric as float, categorical as text).
    response, arm : str
        Column names of the outcome and the arm.
    covariates : tuple of str
    arms : tuple of str
        In order of first appearance.
    criterion : str or None
    control : str or None
    """

    frame: pd.DataFrame
    response: str
    arm: str
    covariates: tuple[str, ...]
    arms: tuple[str, ...]
    criterion: str | None = None
    control: str | None = None

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        response: str = "response",
        arm: str = "arm",
        covariates: str | Sequence[str] = (),
        criterion: str | None = None,
    ) -> BinaryPatientData:
        """Validate one row per patient.

        Parameters
        ----------
        df : pandas.DataFrame
        response : str
            Column of 0/1 (or True/False) outcomes.
        arm : str
            Column of arm labels.
        covariates : str or sequence of str
            Columns used by model formulas. Numeric columns stay numeric; text (or pandas
            categorical) columns are categorical. A single string is one column name.
        criterion : str, optional
            E.g. ``"RECIST"``.

        Raises
        ------
        DataError
            Missing or duplicated columns, one column given for two roles or as a covariate, no
            rows, missing or inconsistently spelt arm labels, a response that is missing or not 0/1,
            missing covariate values, non-finite numeric covariates, a categorical covariate with
            one level only. The message names the column and the rows.

        Examples
        --------
        >>> import pandas as pd, bayeshcc as bh
        >>> df = pd.DataFrame({"response": [1, 0, 0, 1], "arm": ["A", "A", "B", "B"], "age": [50, 61, 58, 70]})
        >>> bh.BinaryPatientData.from_frame(df, covariates="age")
        BinaryPatientData(4 patients: A 1/2, B 1/2; covariates ['age'])
        """
        what = "BinaryPatientData"
        covariates = tuple(str(c) for c in as_names(covariates, field="covariates", what=what))
        distinct_roles(what=what, response=response, arm=arm)
        clash = [c for c in covariates if c in (response, arm)]
        if clash:
            raise DataError(f"{what}: covariates {clash} are the response or arm column; a covariate needs its own column")
        require_columns(df, [response, arm, *covariates], what=what)
        require_rows(df, what=what, expected="one row per patient")
        arms = label_column(df, arm, what=what)
        y = require_numeric(df, response, what=what, allow_bool=True)
        bad = ~np.isin(y, (0.0, 1.0))
        if bad.any():
            values = list(dict.fromkeys(df[response].to_numpy(dtype=object)[bad].tolist()))[:3]
            raise DataError(
                f"{what}: column '{response}' must be 0 or 1 (1 = response); got {values} in "
                f"{format_rows(df.index[bad])}"
            )
        out = {response: y.astype(np.int64), arm: arms}
        for c in covariates:
            col = df[c]
            miss = col.isna().to_numpy()
            if miss.any():
                raise DataError(f"{what}: covariate '{c}' is missing in {format_rows(df.index[miss])}; "
                                "impute or drop those patients first")
            if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
                x = require_numeric(df, c, what=what)
                inf = ~np.isfinite(x)
                if inf.any():
                    raise DataError(f"{what}: covariate '{c}' is not finite in {format_rows(df.index[inf])}")
                out[c] = x
            else:
                labels = label_column(df, c, what=what, noun=f"'{c}'")
                if len(set(labels)) < 2:
                    raise DataError(f"{what}: categorical covariate '{c}' has one level only ({labels[0]!r}); "
                                    "it cannot be estimated")
                out[c] = labels
        frame = pd.DataFrame(out, index=range(len(df)))
        return cls(frame=frame, response=response, arm=arm, covariates=covariates,
                   arms=tuple(dict.fromkeys(arms)), criterion=criterion)

    @property
    def n(self) -> dict[str, int]:
        """Patients per arm."""
        return {a: int((self.frame[self.arm] == a).sum()) for a in self.arms}

    @property
    def responders(self) -> dict[str, int]:
        """Responders per arm."""
        return {a: int(self.frame.loc[self.frame[self.arm] == a, self.response].sum()) for a in self.arms}

    def to_binary(self) -> BinaryData:
        """Responders / n per arm (covariates dropped), with the same control."""
        df = pd.DataFrame({"arm": list(self.arms), "responders": [self.responders[a] for a in self.arms],
                           "n": [self.n[a] for a in self.arms]})
        out = BinaryData.from_frame(df, criterion=self.criterion)
        return out.with_control(self.control) if self.control is not None else out

    def __repr__(self) -> str:
        parts = ", ".join(f"{a} {self.responders[a]}/{self.n[a]}" for a in self.arms)
        cov = f"; covariates {list(self.covariates)}" if self.covariates else ""
        crit = f"{self.criterion}: " if self.criterion else ""
        return f"BinaryPatientData({crit}{len(self.frame)} patients: {parts}{cov})"
