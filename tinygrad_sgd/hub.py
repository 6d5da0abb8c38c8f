"""``tinygrad_sgd.hub``: ``torch.hub`` — models published as a ``hubconf.py``, and checkpoints
downloaded once and kept — with torch's names, defaults, folders, messages and errors.

Where things live (``get_dir()``, the *hub dir*)::

    $TORCH_HOME/hub                 TORCH_HOME defaults to $XDG_CACHE_HOME/torch, and
                                    XDG_CACHE_HOME to ~/.cache; set_dir() overrides it all
      trusted_list                  the repositories trusted so far: owner_repo, one a line
      <owner>_<repo>_<ref>/         a GitHub repository's checkout, hubconf.py at its top
      checkpoints/<file_name>       what load_state_dict_from_url downloaded

A ``hubconf.py`` is a Python file whose public callables are the *entrypoints*
(``def resnet18(pretrained=False, **kwargs): return ResNet(...)``), with an optional
``dependencies = ["numpy", ...]`` list of modules that must be importable. ``load(repo_or_dir,
"resnet18", ...)`` imports it and returns ``resnet18(...)``. It is torch code: while it is
imported and its entrypoint runs, its ``import torch`` gives this library (as under
``tinygrad-sgd run``, see :mod:`._torch_shim`), so the model is built from the library's
``nn``.

``source="github"`` (``"owner/repo[:ref]"``) uses the checkout ``<hub dir>/<owner>_<repo>_<ref>``
when it is there and ``force_reload`` is False, else downloads GitHub's zip of the ref (after
checking, through the GitHub API, that the ref belongs to that repository, unless
``skip_validation``). Without ``:ref`` GitHub is asked whether branch ``main`` exists (else
``master``); offline, the cached ``main`` or ``master`` checkout is used. Before anything
runs, the repository must be trusted (``trust_repo``: see :func:`_check_repo_is_trusted`).
The requests are torch's own ``urllib`` calls, so all of it works online as torch's does.

``load_state_dict_from_url`` downloads to ``<hub dir>/checkpoints`` (nothing is downloaded
when the file is there), checks the SHA-256 prefix in a name like ``resnet18-f37072fd.pth``
when ``check_hash``, and reads the file with :func:`tinygrad_sgd.load` (torch.save's files
included). ``tqdm`` is torch's progress bar: tqdm's when installed (imported when first
asked for: the library never imports it at import time), else torch's fallback below.
"""
import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
import zipfile
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

# house: long file — torch.hub is one module whose names programs import from it (HASH_REGEX,
# get_dir, load_state_dict_from_url, ...): the hub dir, hubconf.py, the GitHub cache with its
# trust check, and the downloads stay together, in the order of torch's hub.py.
__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

# matches bfd8deac from resnet18-bfd8deac.pth
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_PATH_SEP_PATTERN = re.compile(r"[/\\]")
# repositories trusted without asking (trust_repo="check")
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024
_hub_dir = None           # set_dir's folder (None: from the environment, see get_dir)


# ------------------------------------------------------------------ the progress bar
class _Faketqdm:
    """torch.hub's stand-in when tqdm is not installed: counts with ``update`` and writes the
    percent done (or the bytes, without a ``total``) to stderr; not iterable, as torch's."""

    def __init__(self, total=None, disable=False, unit=None, *args, **kwargs):
        self.total, self.disable, self.n = total, disable, 0

    def update(self, n):
        if self.disable:
            return
        self.n += n
        sys.stderr.write(f"\r{self.n:.1f} bytes" if self.total is None
                         else f"\r{100 * self.n / float(self.total):.1f}%")
        sys.stderr.flush()

    def set_description(self, *args, **kwargs):
        pass

    def write(self, s):
        sys.stderr.write(f"{s}\n")

    def close(self):
        self.disable = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if self.disable:
            return
        sys.stderr.write("\n")


def _tqdm():
    try:
        from tqdm import tqdm
    except ImportError:
        return _Faketqdm
    return tqdm


def __getattr__(name):
    if name == "tqdm":                  # (imported here, not at the library's import)
        return _tqdm()
    raise AttributeError(f"module 'tinygrad_sgd.hub' has no attribute {name!r}")


# ------------------------------------------------------------------ the hub dir
def _get_torch_home():
    return os.path.expanduser(os.getenv(
        ENV_TORCH_HOME, os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")))


def get_dir() -> str:
    """The hub dir, where repositories and checkpoints are kept: :func:`set_dir`'s folder,
    else ``$TORCH_HOME/hub`` (``TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch``, and
    ``XDG_CACHE_HOME`` to ``~/.cache``). Warns that ``TORCH_HUB`` is deprecated if it is set."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Make ``d`` (``~`` expanded) the hub dir from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


# ------------------------------------------------------------------ hubconf.py
@contextlib.contextmanager
def _add_to_sys_path(path):
    sys.path.insert(0, path)            # (hubconf.py imports its repository's modules)
    try:
        yield
    finally:
        sys.path.remove(path)


@contextlib.contextmanager
def _torch_is_this_library():
    """hubconf.py is torch code: while active its ``import torch`` gives this library (under
    the runner, ``tinygrad-sgd run``, it already does)."""
    from ._torch_shim import TorchFinder, torch_modules
    if any(isinstance(finder, TorchFinder) for finder in sys.meta_path):
        yield
    else:
        with torch_modules():
            yield


def _import_module(name, path):
    import importlib.util
    from importlib.abc import Loader
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise AssertionError(f"failed to load spec from {path}")
    module = importlib.util.module_from_spec(spec)
    if not isinstance(spec.loader, Loader):
        raise AssertionError(f"expected Loader, got {type(spec.loader)}")
    spec.loader.exec_module(module)
    return module


def _import_hubconf(repo_dir):
    with _add_to_sys_path(repo_dir), _torch_is_this_library():
        return _import_module(MODULE_HUBCONF, os.path.join(repo_dir, MODULE_HUBCONF))


def _load_attr_from_module(module, func_name):
    if func_name not in dir(module):
        return None
    return getattr(module, func_name)


def _check_module_exists(name):
    import importlib.util
    try:
        return importlib.util.find_spec(name) is not None
    except NotImplementedError:         # a torch module this library does not provide
        return False


def _check_dependencies(m):
    dependencies = _load_attr_from_module(m, VAR_DEPENDENCY)
    if dependencies is not None:
        missing_deps = [pkg for pkg in dependencies if not _check_module_exists(pkg)]
        if missing_deps:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing_deps)}")


def _load_entry_from_hubconf(m, model):
    """The entrypoint ``model`` of hubconf module ``m``, once its ``dependencies`` are all
    importable (a missing one imported at hubconf's top has raised ImportError already)."""
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    _check_dependencies(m)
    func = _load_attr_from_module(m, model)
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


# ------------------------------------------------------------------ GitHub repositories
def _git_archive_link(repo_owner, repo_name, ref):
    return f"https://github.com/{repo_owner}/{repo_name}/zipball/{ref}"


def _parse_repo_info(github):
    """``"owner/repo[:ref]"`` -> (owner, repo, ref). Without a ref: ``main`` if GitHub has
    that branch, else ``master``; offline, whichever of the two is cached (RuntimeError if
    neither is)."""
    if ":" in github:
        repo_info, ref = github.split(":")
    else:
        repo_info, ref = github, None
    repo_owner, repo_name = repo_info.split("/")
    if ref is None:
        try:
            with urlopen(f"https://github.com/{repo_owner}/{repo_name}/tree/main/"):
                ref = "main"
        except HTTPError as e:
            if e.code == 404:
                ref = "master"
            else:
                raise
        except URLError as e:           # offline: a cached checkout is the last resort
            for possible_ref in ("main", "master"):
                if os.path.exists(f"{get_dir()}/{repo_owner}_{repo_name}_{possible_ref}"):
                    ref = possible_ref
                    break
            if ref is None:
                raise RuntimeError("It looks like there is no internet connection and the "
                                   f"repo could not be found in the cache ({get_dir()})") from e
    return repo_owner, repo_name, ref


def _read_url(url):
    with urlopen(url) as r:
        return r.read().decode(r.headers.get_content_charset("utf-8"))


def _validate_not_a_forked_repo(repo_owner, repo_name, ref):
    """ValueError unless ``ref`` is a branch, tag or commit of the repository itself (GitHub
    serves a fork's commits under the original's name too): pages of the GitHub API's
    branches, then tags, with ``$GITHUB_TOKEN`` when set."""
    headers = {"Accept": "application/vnd.github.v3+json"}
    token = os.environ.get(ENV_GITHUB_TOKEN)
    if token is not None:
        headers["Authorization"] = f"token {token}"
    for url_prefix in (f"https://api.github.com/repos/{repo_owner}/{repo_name}/branches",
                       f"https://api.github.com/repos/{repo_owner}/{repo_name}/tags"):
        page = 0
        while True:
            page += 1
            url = f"{url_prefix}?per_page=100&page={page}"
            try:
                response = json.loads(_read_url(Request(url, headers=headers)))
            except HTTPError:           # again without the token (as torch: KeyError if none)
                del headers["Authorization"]
                response = json.loads(_read_url(Request(url, headers=headers)))
            if not response:
                break
            for br in response:
                if br["name"] == ref or br["commit"]["sha"].startswith(ref):
                    return
    raise ValueError(f"Cannot find {ref} in https://github.com/{repo_owner}/{repo_name}. "
                     "If it's a commit from a forked repo, please call hub.load() with forked "
                     "repo directly.")


def _remove_if_exists(path):
    if os.path.exists(path):
        if os.path.isfile(path):
            os.remove(path)
        else:
            shutil.rmtree(path)


def _safe_extract_zip(zip_file, extract_to):
    """Extract ``zip_file`` (a ZipFile) into ``extract_to``; ValueError for an entry that
    would land outside it (an absolute path, ``..``: a "zip slip")."""
    extract_to = Path(extract_to).resolve(strict=False)
    for member in zip_file.infolist():
        filename = os.path.normpath(member.filename)
        if filename.startswith(("/", "\\")):
            raise ValueError(f"Archive entry has absolute path: {member.filename}")
        if len(filename) >= 2 and filename[1] == ":" and filename[0].isalpha():
            raise ValueError(f"Archive entry has absolute path: {member.filename}")
        if ".." in re.split(_PATH_SEP_PATTERN, filename):
            raise ValueError(f"Archive entry contains directory traversal: {member.filename}")
        out = (extract_to / filename).resolve(strict=False)
        if not out.is_relative_to(extract_to):
            raise ValueError(f"Archive entry escapes target directory: {member.filename}")
        zip_file.extract(member, extract_to)


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True, skip_validation=False):
    """The folder of the checkout of ``github`` (``owner/repo[:ref]``): the cached one, or a
    fresh download of GitHub's zip of the ref, unzipped and renamed ``<owner>_<repo>_<ref>``
    (a ``/`` of the ref as ``_``)."""
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    repo_owner, repo_name, ref = _parse_repo_info(github)
    normalized_br = ref.replace("/", "_")
    owner_name_branch = "_".join([repo_owner, repo_name, normalized_br])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo=trust_repo)

    if (not force_reload) and os.path.exists(repo_dir):
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    if not skip_validation:
        _validate_not_a_forked_repo(repo_owner, repo_name, ref)
    cached_file = os.path.join(hub_dir, normalized_br + ".zip")
    _remove_if_exists(cached_file)
    try:
        url = _git_archive_link(repo_owner, repo_name, ref)
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        download_url_to_file(url, cached_file, progress=False)
    except HTTPError as err:
        if err.code != 300:
            raise
        # 300 Multiple Choices: the ref is both a tag and a branch; take the branch, as git does
        warnings.warn(
            f"The ref {ref} is ambiguous. Perhaps it is both a tag and a branch in the repo? "
            "Torchhub will now assume that it's a branch. "
            "You can disambiguate tags and branches by explicitly passing refs/heads/branch_name "
            "or refs/tags/tag_name as the ref. That might require using skip_validation=True.",
            stacklevel=2)
        url = _git_archive_link(repo_owner, repo_name, ref=f"refs/heads/{ref}")
        download_url_to_file(url, cached_file, progress=False)

    with zipfile.ZipFile(cached_file) as cached_zipfile:
        # GitHub names the zip's top folder <owner>-<repo>-<sha>/: unzip, then rename it
        extracted_repo = os.path.join(hub_dir, cached_zipfile.infolist()[0].filename)
        _remove_if_exists(extracted_repo)
        _safe_extract_zip(cached_zipfile, hub_dir)
    _remove_if_exists(cached_file)
    _remove_if_exists(repo_dir)
    shutil.move(extracted_repo, repo_dir)
    return repo_dir


def _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo):
    """Trusted: ``owner_repo`` is a line of ``<hub dir>/trusted_list``, or its checkout is
    already in the hub dir (downloaded before trust_repo existed), or the owner is one of
    :data:`_TRUSTED_REPO_OWNERS`. ``trust_repo=False`` always asks (on stdin) and so does
    ``"check"`` for an untrusted repository: "y"/"yes" goes on, "n"/"no"/nothing raises
    ``Exception("Untrusted repository.")``, anything else ValueError. ``True`` (or None)
    trusts it without asking. A repository trusted so is added to ``trusted_list``."""
    hub_dir = get_dir()
    filepath = os.path.join(hub_dir, "trusted_list")
    if not os.path.exists(filepath):
        Path(filepath).touch()
    with open(filepath) as file:
        trusted_repos = tuple(line.strip() for line in file)
    trusted_repos_legacy = next(os.walk(hub_dir))[1]
    owner_name = "_".join([repo_owner, repo_name])
    is_trusted = (owner_name in trusted_repos or owner_name_branch in trusted_repos_legacy
                  or repo_owner in _TRUSTED_REPO_OWNERS)

    if (trust_repo is False) or (trust_repo == "check" and not is_trusted):
        response = input(
            f"The repository {owner_name} does not belong to the list of trusted repositories "
            "and as such cannot be downloaded. Do you trust this repository and wish to add it "
            "to the trusted list of repositories (y/N)?")
        if response.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif response.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")  # noqa: TRY002 - torch's own class
        else:
            raise ValueError(f"Unrecognized response {response}.")
    if not is_trusted:
        with open(filepath, "a") as file:
            file.write(owner_name + "\n")


# ------------------------------------------------------------------ list, help, load
def list(github, force_reload=False, skip_validation=False, trust_repo="check",  # noqa: A001
         verbose=True):
    """The entrypoints of repository ``github`` (``"owner/repo[:ref]"``): the public
    callables of its hubconf.py, in ``dir()`` order. See :func:`load` for the arguments."""
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose=verbose,
                                    skip_validation=skip_validation)
    hub_module = _import_hubconf(repo_dir)
    return [f for f in dir(hub_module)
            if callable(getattr(hub_module, f)) and not f.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False,  # noqa: A001
         trust_repo="check"):
    """The docstring of entrypoint ``model`` of repository ``github``."""
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose=True,
                                    skip_validation=skip_validation)
    hub_module = _import_hubconf(repo_dir)
    return _load_entry_from_hubconf(hub_module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """``model(*args, **kwargs)``, ``model`` an entrypoint of the hubconf.py of a GitHub
    repository (``source="github"``, ``repo_or_dir`` as ``"owner/repo[:ref]"``) or of a local
    folder (``source="local"``: no cache, no trust check, no network).

    ``trust_repo``: ``"check"`` asks about a repository not yet trusted, ``False`` always
    asks, ``True`` trusts it (see :func:`_check_repo_is_trusted`); ``force_reload`` downloads
    even when cached; ``verbose=False`` mutes "Using cache found in ..." (not the download
    line); ``skip_validation`` skips asking the GitHub API whether the ref belongs to the
    repository (``$GITHUB_TOKEN`` is sent when set). The last four do nothing for a local
    folder. Raises ValueError for another ``source``, RuntimeError for missing
    ``dependencies`` or a missing entrypoint."""
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo,
                                           verbose=verbose, skip_validation=skip_validation)
    return _load_local(repo_or_dir, model, *args, **kwargs)


def _load_local(hubconf_dir, model, *args, **kwargs):
    """``model(*args, **kwargs)`` from the hubconf.py of folder ``hubconf_dir``."""
    with _add_to_sys_path(hubconf_dir), _torch_is_this_library():
        hub_module = _import_module(MODULE_HUBCONF, os.path.join(hubconf_dir, MODULE_HUBCONF))
        entry = _load_entry_from_hubconf(hub_module, model)
        return entry(*args, **kwargs)


# ------------------------------------------------------------------ checkpoints
def download_url_to_file(url, dst, hash_prefix=None, progress=True) -> None:
    """Download ``url`` to the file ``dst`` (``~`` expanded), through a temporary
    ``<dst>.<uuid>.partial`` moved into place once complete, so that a broken download never
    overwrites a good file. ``hash_prefix``: the file's SHA-256 hex digest must start with it
    (RuntimeError otherwise, and nothing is written). ``progress``: a bar on stderr."""
    dst = os.path.expanduser(dst)
    for _ in range(tempfile.TMP_MAX):
        tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            f = open(tmp_dst, "w+b")  # noqa: SIM115 - closed in finally
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    req = Request(url, headers={"User-Agent": "torch.hub"})
    try:
        with urlopen(req) as u:
            meta = u.info()
            content_length = (meta.getheaders("Content-Length") if hasattr(meta, "getheaders")
                              else meta.get_all("Content-Length"))
            file_size = None
            if content_length is not None and len(content_length) > 0:
                file_size = int(content_length[0])
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            with _tqdm()(total=file_size, disable=not progress, unit="B", unit_scale=True,
                         unit_divisor=1024) as pbar:
                while True:
                    buffer = u.read(READ_DATA_CHUNK)
                    if len(buffer) == 0:
                        break
                    f.write(buffer)
                    if sha256 is not None:
                        sha256.update(buffer)
                    pbar.update(len(buffer))
            f.close()
            if sha256 is not None:
                digest = sha256.hexdigest()
                if digest[:len(hash_prefix)] != hash_prefix:
                    raise RuntimeError(
                        f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def _is_legacy_zip_format(filename):
    """A zip of one file (a pre-1.6 torch.save file zipped by hand), not torch.save's own zip
    (many entries)."""
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as zf:
            infolist = zf.infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    """Unzip the one file of ``filename`` into ``model_dir`` and load it (FutureWarning)."""
    from .serialization import load as load_checkpoint
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in "
                  "favor of default zipfile format introduced in 1.6. Please redo torch.save() "
                  "to save it in the new zipfile format.", FutureWarning, stacklevel=2)
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        _safe_extract_zip(f, model_dir)
        extracted_file = os.path.join(model_dir, members[0].filename)
    return load_checkpoint(extracted_file, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """What the checkpoint at ``url`` holds (a state dict, usually), read with
    :func:`tinygrad_sgd.load` (``map_location``, ``weights_only`` as there; torch.save's
    files too) from ``<model_dir>/<file_name>``: downloaded there first ("Downloading: ..." on
    stdout) unless that file already exists. ``model_dir`` defaults to ``<hub dir>/checkpoints``,
    ``file_name`` to the last part of the URL's path. ``check_hash``: a name like
    ``resnet18-f37072fd.pth`` (:data:`HASH_REGEX`) gives the SHA-256 prefix the download must
    have. A zip of one file (torch's legacy layout) is unzipped next to it and that loaded.
    Warns that ``TORCH_MODEL_ZOO`` is deprecated if it is set."""
    from .serialization import load as load_checkpoint
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = os.path.basename(urlparse(url).path)
    if file_name is not None:
        filename = file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    return load_checkpoint(cached_file, map_location=map_location, weights_only=weights_only)
