"""The fast engine's inner functions as Python can call them (simsales.engines.fast.inner).

Each copy compiles on its first call in a test process, never cached.
"""

from __future__ import annotations

from simsales.engines.fast import chain, dispatch, groupsort, guide, handover, limits, queues, routing
from simsales.engines.fast.inner import callable_from_python

batch_room = callable_from_python(handover.batch_room)
flush = callable_from_python(handover.flush)
join = callable_from_python(handover.join)
guide_table = callable_from_python(guide.guide_table)
guided_search = callable_from_python(guide.guided_search)
next_action = callable_from_python(dispatch.next_action)
owned_before = callable_from_python(queues.owned_before)
passes = callable_from_python(groupsort._passes)
rank_pass = callable_from_python(groupsort._rank_pass)
route = callable_from_python(routing.route)
route_new = callable_from_python(limits.route_new)
sort_group = callable_from_python(groupsort.sort_group)
split_work = callable_from_python(chain.split_work)
task_push = callable_from_python(queues.task_push)
uniform = callable_from_python(queues.uniform)
