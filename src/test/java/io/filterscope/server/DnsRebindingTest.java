package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.filterscope.model.FixtureModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 7: without a token (the default), a page on a domain that an attacker re-points at
 * 127.0.0.1 is same-origin with the server, so Origin checks pass; its requests still carry that domain in
 * Host, and are refused unless the name is the bound host or given with --allow-host.
 */
class DnsRebindingTest {
    @Test
    void withoutATokenRequestsForAnotherHostNameAreRefused(@TempDir Path models) throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        FilterScopeServer server = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0));
        try {
            int port = server.port();
            String evil = "rebind.attacker.example:" + port;
            for (String path : List.of("/api/models", "/api/health", "/", "/app.js")) {
                String refused = RawHttp.get(port, path, evil, "");
                assertEquals(403, RawHttp.status(refused), path + ": " + refused);
                if (path.startsWith("/api")) {
                    assertTrue(refused.contains("\"forbidden\"") && refused.contains("--allow-host rebind.attacker.example"), refused);
                }
            }
            IOException ws = assertThrows(IOException.class, () -> new RawHttp.RawSocket(port, evil).close());
            assertTrue(ws.getMessage().contains("403"), ws.getMessage());
            for (String own : List.of("127.0.0.1:" + port, "localhost:" + port, "127.0.0.1", "[::1]:" + port)) {
                assertEquals(200, RawHttp.status(RawHttp.get(port, "/api/models", own, "")), own);
            }
            new RawHttp.RawSocket(port, "localhost:" + port).close();
        } finally {
            server.closeAndWait();
        }
    }

    @Test
    void namesGivenWithAllowHostAndRequestsWithTheTokenAreServed(@TempDir Path models) throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        FilterScopeServer allowed = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0)
                .withAllowedHosts(List.of("gpubox.school.example")));
        FilterScopeServer tokened = FilterScopeServer.startAndWait(ServerConfig.defaults(models).withPort(0).withToken("T"));
        try {
            assertEquals(200, RawHttp.status(RawHttp.get(allowed.port(), "/api/models", "GPUBOX.school.example:80", "")));
            assertEquals(403, RawHttp.status(RawHttp.get(allowed.port(), "/api/models", "other.example", "")));
            assertEquals(200, RawHttp.status(RawHttp.get(tokened.port(), "/api/models", "any.example",
                    "Authorization: Bearer T\r\n")), "a token protects the server whatever the name");
        } finally {
            allowed.closeAndWait();
            tokened.closeAndWait();
        }
    }
}
