"""A simulated Specter: the webshop API (``getInfo.asp``/``putInfo.asp``) over real HTTP, with
change flags, pull-and-acknowledge batches, callbacks, a JSON control API (see
:mod:`.control`) and fault injection (see :mod:`.faults`).

It is an independent implementation of Specter's documented webshop API, so that
the gateway's client is tested against Specter's wire format rather than against itself.

Choices where Specter's behaviour is not public:
- Refusals answer HTTP 200 ``0;CODE;message`` with the codes of :class:`.model.Code`
  (1 auth, 2 missing field, 3 duplicate externalOrderNo, 4 unknown action, 5 invalid value,
  6 not found, 7 over 100 articles, 99 open batch).
- newArticleSubmit answers ``1;<specterId of the first>;<all specterIds comma-separated>``;
  newOrderSubmit ``1;orderId;orderNo``; newCustomerSubmit ``1;customerId``; acknowledgements
  ``1;batchNo;<count un-flagged>``; deleteArticle/deleteOrder the deleted record's id.
- Order rows must name articles Specter has (service articles such as FRAKT are created with
  the control API); a row naming an unknown article is refused, naming ``articleNo_<n>``.
- Only changes made "in Specter" (the control API) flag article info; any stock change, including
  orders and initial stock of a new article, flags stock.
- API version 1 accounts (``SBMID::KEY1:KEY2``) ignore ``apiUserId``.
"""

from .app import RunningSimulator, build_app, run, start_simulator
from .model import Code, SimAccount, SpecterError
from .state import AccountState, SpecterState

__all__ = [
    "AccountState",
    "Code",
    "RunningSimulator",
    "SimAccount",
    "SpecterError",
    "SpecterState",
    "build_app",
    "run",
    "start_simulator",
]
