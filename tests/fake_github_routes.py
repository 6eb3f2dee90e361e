"""The fake GitHub's HTTP side: routing, pagination, ETags, and the REST API's JSON shapes."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
import zlib
from typing import TYPE_CHECKING

from werkzeug import Request, Response

if TYPE_CHECKING:
    from tests.fake_github import FakeCommit, FakeRepo


def user_json(fake, login: str) -> dict:
    """A user account as GitHub embeds it."""
    return {"login": login, "id": zlib.crc32(login.encode()) % 10_000_000, "node_id": f"U_{login}", "type": "User",
            "site_admin": False, "url": f"{fake.api_url}/users/{login}", "html_url": f"{fake.web_url}/{login}",
            "avatar_url": f"{fake.web_url}/avatars/{login}"}


class GitHubRoutes:
    """Answers requests from the state a FakeGitHub holds (repos, moved names, scripted failures)."""

    def _route(self, request: Request, path: str, query: dict[str, str]) -> Response:
        if self.token and request.headers.get("Authorization") not in (f"token {self.token}", f"Bearer {self.token}"):
            return self._json({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, 401)
        for failure in list(self.failures):
            if failure.times > 0 and failure.pattern.search(path):
                failure.times -= 1
                body = failure.body(request) if callable(failure.body) else failure.body
                return self._json(body, failure.status, failure.headers)
        if not path.startswith(self.prefix + "/"):
            return self._not_found()
        rest = path[len(self.prefix):]
        match = re.match(r"^/repositories/(\d+)(/.*)?$", rest)
        if match:
            repo = next((r for r in self.repos.values() if r.id == int(match.group(1))), None)
            return self._repo_route(request, repo, match.group(2) or "", query) if repo else self._not_found()
        match = re.match(r"^/(orgs|users)/([^/]+)/repos$", rest)
        if match:
            return self._owner_repos(request, match.group(1), match.group(2).lower(), query)
        match = re.match(r"^/repos/([^/]+/[^/]+)(/.*)?$", rest)
        if not match:
            return self._not_found()
        name, tail = match.group(1).lower(), match.group(2) or ""
        if name in self.moved and name not in self.repos:
            repo = self.moved[name]
            location = f"{self.api_url}/repositories/{repo.id}{tail}"
            if request.query_string:
                location += "?" + request.query_string.decode()
            return self._json({"message": "Moved Permanently", "url": location,
                               "documentation_url": "https://docs.github.com/rest"}, 301, {"Location": location})
        repo = self.repos.get(name)
        return self._repo_route(request, repo, tail, query) if repo else self._not_found()

    def _repo_route(self, request: Request, repo: FakeRepo, tail: str, query: dict[str, str]) -> Response:
        if tail in ("", "/"):
            return self._json(self._repo_json(repo), request=request)
        if tail == "/branches":
            names = sorted(repo.branches)
            items, link = self._page(request, names, query, default_per_page=30, max_per_page=100)
            return self._json([{"name": name, "protected": False,
                                "commit": {"sha": repo.branches[name],
                                           "url": f"{self.api_url}/repos/{repo.full_name}/commits/{repo.branches[name]}"}}
                               for name in items], request=request, link=link)
        match = re.match(r"^/branches/(.+)$", tail)
        if match:
            branch = urllib.parse.unquote(match.group(1))
            if branch not in repo.branches:
                return self._json({"message": "Branch not found"}, 404)
            head = repo.branches[branch]
            return self._json({"name": branch, "protected": False,
                               "commit": self._entry(repo, repo.objects[head])}, request=request)
        if repo.empty and tail.startswith(("/commits", "/compare")):
            return self._json({"message": "Git Repository is empty."}, 409)
        if tail == "/commits":
            return self._listing(request, repo, query)
        match = re.match(r"^/commits/([^/]+)/pulls$", tail)
        if match:
            sha = repo.resolve(match.group(1))
            return self._json(repo.pulls.get(sha, []) if sha else [], request=request)
        match = re.match(r"^/commits/(.+)$", tail)
        if match:
            return self._detail(request, repo, urllib.parse.unquote(match.group(1)), query)
        match = re.match(r"^/compare/([^.]+)\.\.\.(.+)$", tail)
        if match:
            return self._compare(request, repo, match.group(1), match.group(2), query)
        return self._not_found()

    def _owner_repos(self, request: Request, kind: str, owner: str, query: dict[str, str]) -> Response:
        # An organisation answers both lists (the user list with its public repositories only); a user the second.
        repos = sorted((repo for repo in self.repos.values() if repo.owner.lower() == owner),
                       key=lambda repo: repo.full_name.lower())
        if kind == "orgs" and owner not in self.orgs or kind == "users" and owner not in self.orgs and not repos:
            return self._not_found()
        if kind == "users":
            repos = [repo for repo in repos if not repo.private]
        items, link = self._page(request, repos, query, default_per_page=30, max_per_page=100)
        return self._json([self._repo_json(repo) for repo in items], request=request, link=link)

    def _listing(self, request: Request, repo: FakeRepo, query: dict[str, str]) -> Response:
        ref = query.get("sha", repo.default_branch)
        head = repo.resolve(ref)
        if head is None:
            return self._json({"message": f"No commit found for SHA: {ref}"}, 404)
        history = repo.history(head)
        # GitHub's since/until filter on the commit date, both ends inclusive.
        if "since" in query:
            history = [c for c in history if c.date >= query["since"]]
        if "until" in query:
            history = [c for c in history if c.date <= query["until"]]
        items, link = self._page(request, history, query, default_per_page=30, max_per_page=100)
        return self._json([self._entry(repo, commit) for commit in items], request=request, link=link)

    def _detail(self, request: Request, repo: FakeRepo, ref: str, query: dict[str, str]) -> Response:
        sha = repo.resolve(ref)
        if sha is None:
            return self._json({"message": f"No commit found for SHA: {ref}"}, 422)
        if request.headers.get("Accept", "").startswith("application/vnd.github.sha"):
            return self._respond(sha.encode(), "text/plain; charset=utf-8", request)
        commit = repo.objects[sha]
        files, link = self._page(request, commit.files, query, default_per_page=300, max_per_page=300)
        data = self._entry(repo, commit)
        additions = sum(item["additions"] for item in commit.files)
        deletions = sum(item["deletions"] for item in commit.files)
        data["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        data["files"] = [self._file_json(repo, commit, item) for item in files]
        return self._json(data, request=request, link=link)

    def _compare(self, request: Request, repo: FakeRepo, base_ref: str, head_ref: str, query: dict[str, str]) -> Response:
        base, head = repo.resolve(base_ref), repo.resolve(head_ref)
        if base is None or head is None:
            return self._json({"message": "Not Found"}, 404)
        from_head, from_base = repo.reachable(head), repo.reachable(base)
        ahead = sorted((repo.objects[sha] for sha in from_head - from_base), key=lambda c: c.seq)
        behind = from_base - from_head
        status = "identical" if base == head else "ahead" if not behind else "behind" if not ahead else "diverged"
        common = [c for c in repo.history(head) if c.sha in from_base]
        page, link = self._page(request, ahead, query, default_per_page=250, max_per_page=100)
        data = {"url": f"{self.api_url}/repos/{repo.full_name}/compare/{base_ref}...{head_ref}",
                "html_url": f"{self.web_url}/{repo.full_name}/compare/{base_ref}...{head_ref}",
                "base_commit": self._entry(repo, repo.objects[base]),
                "merge_base_commit": self._entry(repo, common[0]) if common else None,
                "status": status, "ahead_by": len(ahead), "behind_by": len(behind), "total_commits": len(ahead),
                "commits": [self._entry(repo, commit) for commit in page], "files": []}
        return self._json(data, request=request, link=link)

    def _page(self, request: Request, items: list, query: dict[str, str], default_per_page: int,
              max_per_page: int) -> tuple[list, str | None]:
        per_page = min(int(query.get("per_page", default_per_page)), max_per_page)
        page = max(1, int(query.get("page", 1)))
        chunk = items[(page - 1) * per_page: page * per_page]
        last = max(1, -(-len(items) // per_page))
        if last == 1:
            return chunk, None
        base = f"{self.web_url}{request.path}"
        rels = ([("prev", page - 1), ("first", 1)] if page > 1 else []) + \
            ([("next", page + 1), ("last", last)] if page < last else [])
        links = [f'<{base}?{urllib.parse.urlencode({**query, "per_page": per_page, "page": number})}>; rel="{rel}"'
                 for rel, number in rels]
        return chunk, ", ".join(links) or None

    # --- JSON shapes ---

    def _repo_json(self, repo: FakeRepo) -> dict:
        api, web = self.api_url, self.web_url
        owner, name = repo.full_name.split("/")
        return {"id": repo.id, "node_id": f"R_{repo.id}", "name": name, "full_name": repo.full_name,
                "private": repo.private, "owner": user_json(self, owner), "html_url": f"{web}/{repo.full_name}",
                "description": None, "fork": repo.fork, "url": f"{api}/repos/{repo.full_name}",
                "commits_url": f"{api}/repos/{repo.full_name}/commits{{/sha}}", "default_branch": repo.default_branch,
                "visibility": "private" if repo.private else "public", "archived": repo.archived, "disabled": False,
                "pushed_at": "2024-05-01T09:00:00Z", "created_at": "2020-01-01T00:00:00Z"}

    def _entry(self, repo: FakeRepo, commit: FakeCommit) -> dict:
        api, web, full = self.api_url, self.web_url, repo.full_name
        person = {"name": commit.author_name, "email": f"{commit.author_login or 'someone'}@example.com",
                  "date": commit.date}
        account = user_json(self, commit.author_login) if commit.author_login else None
        return {"sha": commit.sha, "node_id": f"C_{commit.sha[:10]}",
                "commit": {"author": person, "committer": dict(person), "message": commit.message,
                           "tree": {"sha": hashlib.sha1(commit.sha.encode()).hexdigest(),
                                    "url": f"{api}/repos/{full}/git/trees/{commit.sha}"},
                           "url": f"{api}/repos/{full}/git/commits/{commit.sha}", "comment_count": 0,
                           "verification": {"verified": False, "reason": "unsigned", "signature": None,
                                            "payload": None}},
                "url": f"{api}/repos/{full}/commits/{commit.sha}", "html_url": f"{web}/{full}/commit/{commit.sha}",
                "comments_url": f"{api}/repos/{full}/commits/{commit.sha}/comments",
                "author": account, "committer": account,
                "parents": [{"sha": parent, "url": f"{api}/repos/{full}/commits/{parent}",
                             "html_url": f"{web}/{full}/commit/{parent}"} for parent in commit.parents]}

    def _file_json(self, repo: FakeRepo, commit: FakeCommit, item: dict) -> dict:
        path = urllib.parse.quote(item["filename"])
        return {"sha": hashlib.sha1(item["filename"].encode()).hexdigest(), **item,
                "blob_url": f"{self.web_url}/{repo.full_name}/blob/{commit.sha}/{path}",
                "raw_url": f"{self.web_url}/{repo.full_name}/raw/{commit.sha}/{path}",
                "contents_url": f"{self.api_url}/repos/{repo.full_name}/contents/{path}?ref={commit.sha}"}

    def _json(self, data, status: int = 200, headers: dict | None = None, request: Request | None = None,
              link: str | None = None) -> Response:
        body = json.dumps(data).encode() if not isinstance(data, str) else data.encode()
        if request is not None and status == 200:
            return self._respond(body, "application/json; charset=utf-8", request, link)
        response = Response(body, status=status, content_type="application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def _respond(self, body: bytes, content_type: str, request: Request, link: str | None = None) -> Response:
        etag = 'W/"' + hashlib.sha256(body + (request.headers.get("Authorization") or "").encode()).hexdigest()[:32] + '"'
        if request.headers.get("If-None-Match") == etag:
            response = Response(status=304)
        else:
            response = Response(body, status=200, content_type=content_type)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
        response.headers["Vary"] = "Accept, Authorization, Cookie"
        if link and response.status_code == 200:
            response.headers["Link"] = link
        return response

    def _not_found(self) -> Response:
        return self._json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, 404)
