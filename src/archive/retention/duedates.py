"""Due dates of a dossier (DOMAIN.md §4), as pure functions.

* The period runs from the year the matter ended: the year of the dossier's
  end date (its last document), not the day it was closed in the system.  A
  dossier whose matter ended in 2014, kept 10 years, expires on 1 January 2025
  (Circular 10/2022/TT-BNV; the first-of-January reading is assumed).
* Dossiers kept 5 years or more (or permanently) enter the agency's current
  archive within 1 year (Decree 30/2020 Art. 30-31; Law 2024): in this system,
  entering the current archive is closing the dossier.
* Permanent dossiers go to the historical archive: within 10 years under the
  2011 Law; within 5 years of entering the current archive under the 2024 Law
  (33/2024/QH15).  Dossiers formed before 1 July 2025 follow the 2011 Law.

Dates may be partial (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, as stored by
``archive.schemas.types.PartialDate``).  For the regime a partial date counts
as its last possible day (``2025`` is 31 December 2025, so the 2024 Law), the
reading that never makes a transfer late; such a result says
``regime_certain=False``.
"""
import calendar
import datetime
from dataclasses import dataclass
from typing import Optional

REGIME_2011 = "2011"   # Law on Archives 2011, Circular 02/2019/TT-BNV
REGIME_2024 = "2024"   # Law on Archives 2024 (33/2024/QH15), Decree 113/2025
CUTOFF = datetime.date(2025, 7, 1)   # the 2024 Law applies to dossiers formed from this day
CURRENT_ARCHIVE_MIN_YEARS = 5        # shorter periods stay with the unit
TRANSFER_YEARS = {REGIME_2011: 10, REGIME_2024: 5}
PERMANENT = "permanent"


@dataclass(frozen=True)
class DueDates:
    period: object                      # "permanent" or years (int)
    end_year: Optional[int]             # the year the matter ended
    regime: Optional[str]               # "2011" or "2024"
    regime_certain: bool
    disposal_year: Optional[int]        # expires on 1 January of this year (None: permanent)
    current_archive_year: Optional[int]  # enter the current archive by 31 December of it
    transfer_year: Optional[int]        # permanent: to the historical archive by 31 Dec

    @property
    def permanent(self):
        return self.period == PERMANENT

    @property
    def disposal_date(self):
        return datetime.date(self.disposal_year, 1, 1) if self.disposal_year else None

    def as_dict(self):
        return {"period": self.period, "end_year": self.end_year, "regime": self.regime,
                "regime_certain": self.regime_certain, "disposal_year": self.disposal_year,
                "disposal_date": self.disposal_date.isoformat() if self.disposal_date else None,
                "current_archive_year": self.current_archive_year,
                "transfer_year": self.transfer_year}


def parse_partial(value):
    """``(year, month, day)`` of a partial ISO date, missing parts None; None
    for an empty or unreadable value."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.year, value.month, value.day
    text = str(value).strip()
    if not text:
        return None
    parts = text.split("-")
    try:
        numbers = [int(p) for p in parts[:3]]
    except ValueError:
        return None
    if not numbers or numbers[0] < 1:
        return None
    numbers += [None] * (3 - len(numbers))
    return tuple(numbers)


def last_day(value):
    """The last possible day of a partial date, or None."""
    parsed = parse_partial(value)
    if parsed is None:
        return None
    year, month, day = parsed
    if month is None:
        return datetime.date(year, 12, 31)
    if day is None:
        return datetime.date(year, month, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def is_partial(value):
    parsed = parse_partial(value)
    return parsed is not None and parsed[2] is None


def matter_end(end_date=None, start_date=None, year=None):
    """The date the matter ended, as given: the end date, else the start date,
    else the dossier's year (all possibly partial); None when nothing is known."""
    for value in (end_date, start_date):
        if parse_partial(value) is not None:
            return value
    if year:
        return f"{int(year):04d}"
    return None


def regime_of(end_date=None, start_date=None, year=None):
    """``(regime, certain)`` of a dossier formed when its matter ended."""
    ended = matter_end(end_date, start_date, year)
    if ended is None:
        return None, False
    latest = last_day(ended)
    parsed = parse_partial(ended)
    earliest = datetime.date(parsed[0], parsed[1] or 1, parsed[2] or 1)
    regime = REGIME_2024 if latest >= CUTOFF else REGIME_2011
    certain = (earliest >= CUTOFF) == (latest >= CUTOFF)
    return regime, certain


def normalise_period(period):
    if period in (None, ""):
        return None
    if period == PERMANENT:
        return PERMANENT
    try:
        years = int(period)
    except (TypeError, ValueError):
        return None
    return years if years > 0 else None


def due_dates(period, end_date=None, start_date=None, year=None, closed_year=None):
    """The due dates of a dossier kept ``period`` ("permanent" or years) whose
    matter ended at ``end_date`` (partial ISO; falls back to ``start_date``,
    then ``year``), closed in this system in ``closed_year`` (None: open)."""
    period = normalise_period(period)
    ended = matter_end(end_date, start_date, year)
    if ended is None:
        return DueDates(period, None, None, False, None, None, None)
    end_year = parse_partial(ended)[0]
    regime, certain = regime_of(end_date, start_date, year)
    disposal = current = transfer = None
    if period is None:
        return DueDates(period, end_year, regime, certain, None, None, None)
    if period == PERMANENT or period >= CURRENT_ARCHIVE_MIN_YEARS:
        current = end_year + 1
    if period == PERMANENT:
        if regime == REGIME_2011:
            transfer = end_year + TRANSFER_YEARS[REGIME_2011]
        else:
            entered = closed_year if closed_year else end_year + 1
            transfer = entered + TRANSFER_YEARS[REGIME_2024]
    else:
        disposal = end_year + period + 1
    return DueDates(period, end_year, regime, certain, disposal, current, transfer)


def dossier_due_dates(dossier):
    """``due_dates`` of a Dossier resource."""
    closed_at = getattr(dossier, "closed_at", None)
    closed_year = closed_at.year if (getattr(dossier, "closed", False) and closed_at) else None
    return due_dates(getattr(dossier, "retention", None), getattr(dossier, "end_date", None),
                     getattr(dossier, "start_date", None), getattr(dossier, "year", None),
                     closed_year)
