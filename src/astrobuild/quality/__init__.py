"""Data quality report: completeness, validity, uniqueness and consistency of every
table and array store the build makes, each scored 0-1, with a letter grade.

How the scores are computed (all rounded to 6 decimals, then graded):

* **completeness**: for a table, the share of non-null cells over the columns its
  contract declares required (``nullable=False``); columns nullable by design are
  measured and listed but do not lower the score (a null there is a documented
  "not given", not a defect). A table whose columns are all nullable is scored on
  all of them. For a store, the mean non-NaN fraction of its data variables.
* **validity**: for a table, the share of rows passing its Pandera contract, checked
  lazily so every failing row is counted (a failure that names no row, such as a
  missing column, counts every row as failing); a table without a contract is not
  assessed. A table whose catalogue entry says so also counts as invalid its rows
  kept but flagged (``flags``: a negative spectral depth within its errors) and
  the lines its rule quarantined (``counts_quarantine``; they join the rows counted).
  For a store, the share of the checks of its validation report that passed.
* **uniqueness**: for a table, distinct keys / rows, the key (what one row stands
  for) coming from the catalogue (:mod:`~astrobuild.contracts.catalogue`), else the contract's
  ``Config.unique``, else the whole row. For a store, the share of its dimension
  coordinates that are unique and strictly monotonic.
* **consistency**: for a table, the lowest score of its cross-field / cross-table
  rules (:data:`~astrobuild.quality.table_rules.RULES`) that checked something. For a
  store, the share of its consistency checks passed (units on every variable, one
  dimension order, the validation report's dims match the store, lat/lon in range).
* **not assessed**: a dimension with nothing to measure (no rule, no contract, no
  coordinates) has no score: ``null`` in the JSON, "not assessed" in the HTML,
  never a 1.0 that could not have fallen.
* **overall**: the minimum of the assessed scores: one bad dimension is enough to
  make a table unfit, and a mean would hide it. A table without rows (a store
  without data variables) has no overall score and is graded F.

Grades: A+ >= 0.98, A >= 0.95, B >= 0.90, C >= 0.85, F below.
"""

from astrobuild.quality.grades import GRADES, grade, passes
from astrobuild.quality.report import QualityError, build_report, check_bars, quality_report
from astrobuild.quality.stores import score_store
from astrobuild.quality.tables import score_table

__all__ = ["GRADES", "QualityError", "build_report", "check_bars", "grade", "passes", "quality_report",
           "score_store", "score_table"]
