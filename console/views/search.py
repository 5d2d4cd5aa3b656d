"""The console's search: any account's cases by id, number, account, submitter or words."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import engineer_required
from accounts.http import SupportRequest
from console import selectors
from console.forms import SEARCH_MAX_LENGTH, CaseSearchForm

PAGE_SIZE = 25


@require_GET
@engineer_required
def search(request: SupportRequest) -> HttpResponse:
    """Results a page at a time (a page number: ranked results have no stable key to seek by;
    the form caps it at 40 pages). A bounded number of queries, whatever the matches."""
    form = CaseSearchForm(request.GET or None)
    q, state, number = "", "all", 1
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        state = form.cleaned_data["state"] or "all"
        number = form.cleaned_data["page"] or 1
    elif form.is_bound:
        # A page past the last one, or an over-long query: the first page of what was asked.
        q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH].strip()
    rows: list = []
    more = False
    if q:
        rows, more = selectors.search_page(q, state=state, number=number, size=PAGE_SIZE)
        more = more and number < 40
    context = {
        "form": form,
        "q": q,
        "state": state,
        "rows": rows,
        "kind": selectors.search_kind(q) if q else "",
        "page_number": number,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if more else None,
    }
    if request.htmx:
        return render(request, "console/search.html#results", context)
    return render(request, "console/search.html", context)
