"""From a CRM export to a fitted scenario: `simsales calibrate` (MODEL.md section 10).

:func:`calibrate` takes an :class:`~simsales.crm.export.Export` and returns
a :class:`Calibration`: the scenario document (every fitted number a
distribution carrying its uncertainty), a comment per field saying what
data it came from, the observed-against-fitted series the diagnostics
report draws (:class:`Fit`), the fields kept at a default, and warnings.

Modules, one concept each: ``frame`` (the window as arrays), ``stats``
(Beta posteriors, competing risks, truncated delays), ``channels``,
``schedule`` (hours, shifts, talk share), ``touch`` (the touch chain),
``team`` (skill, ramp, attrition, the team), ``funnel`` (stage
probabilities, delays, refunds, price), ``document`` (the commented YAML),
``fit`` (the pieces a fit returns) and ``calibrate`` (the whole).
"""

from simsales.calibrate.calibrate import HORIZON_DAYS, Calibration, CalibrationError, calibrate
from simsales.calibrate.fit import Fit

__all__ = ["HORIZON_DAYS", "Calibration", "CalibrationError", "Fit", "calibrate"]
