"""Where an image download may go: the URL policy, checked on every hop after DNS.

Applications pass ``analyze()`` URLs that their own users typed. Without a
policy, such a URL (or a redirect from it) can make visionkit request
``http://169.254.169.254/`` (a cloud metadata service), an admin port on
localhost or a host on the caller's private network: server-side request
forgery. The rules, in the order they are checked:

1. ``scheme``: only ``http`` and ``https``;
2. ``redirects``: at most :attr:`~ImageLimits.max_redirects` hops;
3. ``private-address``: every address the host resolves to must be public,
   unless :attr:`~ImageLimits.allow_private` is set or the host is in
   :attr:`~ImageLimits.allowed_hosts`. One non-public answer refuses the host,
   so a name that resolves to both kinds cannot be used to slip through;
4. ``redirect-into-private``: even with ``allow_private``, a redirect from a
   public address to a non-public one is refused unless the target host is in
   ``allowed_hosts``: a public server never has a reason to send a client into
   the client's own network.

The check runs where the connection is opened (see
:mod:`~visionkit.images.transport`), so the address that was checked is the
address connected to: a DNS answer cannot change between the two.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from visionkit.images.validate import ImageLimits, Resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefused(Exception):
    """A hop the policy refuses; the fetcher adds the URL and turns it into an InvalidImageError.

    Attributes:
        rule: The rule's name (``"private-address"``, ...), as documented.
        reason: What was found, e.g. ``"localhost resolves to 127.0.0.1, a loopback address"``.
    """

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"{reason} [rule: {rule}]")
        self.rule = rule
        self.reason = reason


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host``, in its order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused("dns", f"cannot resolve {host!r} ({exc})") from exc
    seen: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 scope id
        if address not in seen:
            seen.append(address)
    return seen


def address_kind(address: IPAddress) -> str | None:
    """``None`` for a public address, else what it is (``"loopback"``, ``"private"``, ...)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return address_kind(embedded)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


@dataclass
class Guard:
    """The policy's state for one download: what each hop resolved to and whether it was public.

    Shared by the fetcher (which counts hops) and the network backend (which
    resolves, checks and connects), possibly from a worker thread.
    """

    limits: ImageLimits
    previous_public: bool | None = None
    """Whether the hop before this one reached a public address; ``None`` on the first hop."""
    _connected: dict[tuple[str, int], bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def resolver(self) -> Resolver:
        return self.limits.resolver or system_resolver

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` this hop may connect to; raises :class:`UrlRefused`."""
        host = host.strip("[]")
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        answers: Sequence[str] = [host] if literal is not None else self.resolver(host, port)
        if not answers:
            raise UrlRefused("dns", f"{host!r} resolves to no address")
        parsed = []
        for answer in answers:
            try:
                parsed.append(ipaddress.ip_address(str(answer).split("%", 1)[0]))
            except ValueError as exc:
                raise UrlRefused("dns", f"{host!r} resolved to {answer!r}, not an IP") from exc
        allowed_name = self._host_listed(host)
        for address in parsed:
            kind = address_kind(address)
            if kind is None or allowed_name or self._network_listed(address):
                continue
            what = (
                f"{host} is a {kind} address"
                if literal is not None
                else f"{host} resolves to {address}, a {kind} address"
            )
            if not self.limits.allow_private:
                raise UrlRefused(
                    "private-address",
                    f"{what}; image URLs may reach only public addresses. If you trust "
                    "it, set allow_private or add the host to allowed_hosts",
                )
            if self.previous_public:
                raise UrlRefused(
                    "redirect-into-private",
                    f"a public server redirected to {what}; a redirect may not lead from a "
                    "public address into a private network. Add the host to allowed_hosts "
                    "if this redirect is expected",
                )
        with self._lock:
            self._connected[(host.lower(), port)] = all(address_kind(a) is None for a in parsed)
        return [str(a) for a in parsed]

    def reached_public(self, host: str, port: int) -> bool | None:
        """Whether ``host:port`` resolved only to public addresses (``None``: not resolved here)."""
        with self._lock:
            return self._connected.get((host.strip("[]").lower(), port))

    def _host_listed(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        return any(entry.strip().lower().rstrip(".") == name for entry in self.limits.allowed_hosts)

    def _network_listed(self, address: IPAddress) -> bool:
        for entry in self.limits.allowed_hosts:
            try:
                network = ipaddress.ip_network(entry.strip().strip("[]"), strict=False)
            except ValueError:
                continue
            if address.version == network.version and address in network:
                return True
        return False


__all__ = ["Guard", "UrlRefused", "address_kind", "system_resolver"]
