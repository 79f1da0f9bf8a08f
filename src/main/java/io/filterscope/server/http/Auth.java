package io.filterscope.server.http;

import io.vertx.core.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The token check (Bearer header or {@code ?token=}), in constant time so the token cannot be guessed a
 * character at a time, and the WebSocket Origin check: a page from another site must not drive a user's
 * GPU with the user's browser.
 */
final class Auth {
    private final byte[] token;
    private final List<String> allowedOrigins;

    Auth(String token, List<String> allowedOrigins) {
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.allowedOrigins = allowedOrigins;
    }

    boolean allows(String authorization, String queryToken) {
        if (token == null) {
            return true;
        }
        String offered = authorization != null && authorization.startsWith("Bearer ")
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
