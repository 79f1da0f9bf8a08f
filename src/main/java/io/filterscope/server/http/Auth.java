package io.filterscope.server.http;

import io.vertx.core.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The token check (Bearer header or {@code ?token=}), in constant time so the token cannot be guessed a
 * character at a time; the WebSocket Origin check: a page from another site must not drive a user's GPU
 * with the user's browser; and, without a token, the Host check: a page of a site whose name an attacker
 * re-points at 127.0.0.1 (DNS rebinding) is same-origin with us, but its requests still name that site.
 */
final class Auth {
    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private final byte[] token;
    private final List<String> allowedOrigins;
    private final java.util.Set<String> allowedHosts = new java.util.HashSet<>();

    /** @param allowedHosts names besides {@code boundHost} that a request's Host may give when there is no token */
    Auth(String token, List<String> allowedOrigins, String boundHost, List<String> allowedHosts) {
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.allowedOrigins = allowedOrigins;
        this.allowedHosts.add(boundHost.toLowerCase(java.util.Locale.ROOT));
        allowedHosts.forEach(h -> this.allowedHosts.add(h.toLowerCase(java.util.Locale.ROOT)));
    }

    /**
     * Whether a request with this Host header (its name, without the port) may be served. With a token,
     * any; without, the bound host, a name given with --allow-host, {@code localhost}, or an IP address
     * (no DNS name, so nothing to rebind). A request without Host is not from a browser.
     */
    boolean hostAllowed(String host) {
        if (token != null || host == null) {
            return true;
        }
        String name = host.toLowerCase(java.util.Locale.ROOT);
        if (name.startsWith("[")) {
            return true; // an IPv6 address
        }
        int colon = name.lastIndexOf(':');
        name = colon >= 0 ? name.substring(0, colon) : name;
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1); // "localhost." names the same host
        }
        return allowedHosts.contains(name) || name.equals("localhost") || IPV4.matcher(name).matches();
    }

    boolean allows(String authorization, String queryToken) {
        if (token == null) {
            return true;
        }
        // The scheme's name is case-insensitive (RFC 7235 section 2.1): "bearer T" is "Bearer T".
        String offered = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : queryToken;
        return offered != null && MessageDigest.isEqual(token, offered.getBytes(StandardCharsets.UTF_8));
    }

    /** No Origin (not a browser), the server's own origin, or one listed with --allow-origin. */
    boolean originAllowed(String origin, String scheme, HostAndPort authority) {
        if (origin == null) {
            return true;
        }
        if (allowedOrigins.contains(origin)) {
            return true;
        }
        if (authority == null) {
            return false;
        }
        String own = scheme + "://" + authority.host() + (authority.port() > 0 ? ":" + authority.port() : "");
        String ownWs = ("wss".equals(scheme) ? "https" : "ws".equals(scheme) ? "http" : scheme) + "://" + authority.host()
                + (authority.port() > 0 ? ":" + authority.port() : "");
        return origin.equals(own) || origin.equals(ownWs);
    }
}
