package io.filterscope.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.FixtureModels;
import io.filterscope.model.ModelMetadata;
import io.filterscope.train.LeNet;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15, item 9: the low items, each against a real server on 127.0.0.1. */
class ProtocolEdgesTest {
    @TempDir
    static Path models;
    private static FilterScopeServer server;
    private static Vertx vertx;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        FixtureModels.writeLeNet(models, "tiny");
        writeLeNet("swap", 3);
        Files.writeString(models.resolve("broken.json"), "{\"id\":\"broken\",\"file\":\"missing.zip\",\"inputShape\":[1,28,28]}");
        server = FilterScopeServer.startAndWait(ServerConfig.defaults(models.toAbsolutePath()).withPort(0));
        port = server.port();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeAndWait();
        vertx.close();
    }

    /** A LeNet with {@code classes} outputs and its metadata, each written beside and moved into place. */
    private static void writeLeNet(String id, int classes) throws Exception {
        Path zip = Files.createTempFile(models, id, ".part");
        ModelSerializer.writeModel(LeNet.create(28, 1, classes, classes), zip.toFile(), false);
        Path json = Files.createTempFile(models, id, ".part");
        List<String> names = Arrays.asList(new String[classes]).stream().map(n -> "c").toList();
        new ObjectMapper().writeValue(json.toFile(), new ModelMetadata(id, "swapped test model", id + ".zip", List.of(1, 28, 28),
                InputSpace.UNIT, names, null, null));
        Files.move(zip, models.resolve(id + ".zip"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(json, models.resolve(id + ".json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static int outputUnits(Peer peer) throws Exception {
        JsonArray layers = peer.get(port, "/api/models/swap").json().getJsonArray("layers");
        return layers.getJsonObject(layers.size() - 1).getInteger("channels");
    }

    @Test
    void aReplacedModelFileIsReadAgainWithoutARestart() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            assertEquals(3, outputUnits(peer));
            writeLeNet("swap", 5);
            assertEquals(5, outputUnits(peer), "the new file's output layer");
            socket.send(new JsonObject().put("op", "start").put("model", "swap").put("steps", 3)
                    .put("objective", new JsonObject().put("type", "class").put("index", 4)));
            assertEquals("completed", socket.next("done").getString("reason"), "class 4 exists in the new model");
        }
    }

    /** A bare model zip (no metadata file) moved into the models folder in one step, as a user drops one in. */
    private static void dropLeNet(String id) throws Exception {
        Path zip = Files.createTempFile(models, id, ".part");
        ModelSerializer.writeModel(LeNet.create(28, 1, 4, 4), zip.toFile(), false);
        Files.move(zip, models.resolve(id + ".zip"), StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The workers re-read their folders every few seconds; a request naming a model they have not listed yet looks
     * again before it answers 404, so a file just dropped in is served at once, over HTTP and to a start.
     */
    @Test
    void aModelFileJustDroppedInIsServedAtOnce() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            dropLeNet("dropped");
            Peer.Response detail = peer.get(port, "/api/models/dropped");
            assertEquals(200, detail.status(), detail.body().toString());
            assertEquals("dropped", detail.json().getString("id"));
            dropLeNet("dropped2");
            socket.send(new JsonObject().put("op", "start").put("model", "dropped2").put("steps", 2)
                    .put("objective", new JsonObject().put("type", "class").put("index", 3)));
            assertEquals("completed", socket.next("done").getString("reason"));
            assertEquals(404, peer.get(port, "/api/models/never-dropped").status(), "an unknown model is still unknown");
        }
    }

    @Test
    void aFilterBeyond32BitsIsNotTakenModulo2To32() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filter\":4294967301}}");
            JsonObject error = socket.next("error");
            assertEquals("not_found", error.getString("code"));
            assertEquals("filter 4294967301 is out of range: layer conv1 has 32 filters (0-31)", error.getString("message"));
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filters\":[1,4294967301]}}");
            JsonObject inFilters = socket.next("error");
            assertEquals("not_found", inFilters.getString("code"));
            assertEquals("\"filters\" item 2 of 2: filter 4294967301 is out of range: layer conv1 has 32 filters (0-31)",
                    inFilters.getString("message"), "the item of \"filters\" named, not a \"filter\" the request did not write");
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filters\":[1,2.5,3]}}");
            assertEquals("\"filters\" item 2 of 3: objective needs an integer \"filter\", got 2.5", socket.next("error").getString("message"));
            Peer.Response examples = peer.get(port, "/api/models/tiny/examples?layer=conv1&filter=4294967301");
            assertEquals(404, examples.status(), "as out of range as filter 99 is");
            assertEquals("filter 4294967301 is out of range: layer conv1 has 32 filters (0-31)",
                    examples.json().getJsonObject("error").getString("message"));
            Peer.Response beyond64Bits = peer.get(port, "/api/models/tiny/examples?layer=conv1&filter=99999999999999999999");
            assertEquals(404, beyond64Bits.status());
            assertEquals("filter 99999999999999999999 is out of range: layer conv1 has 32 filters (0-31)",
                    beyond64Bits.json().getJsonObject("error").getString("message"), "the range, as the WebSocket says it");
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filter\":99999999999999999999999}}");
            assertEquals("filter 99999999999999999999999 is out of range: layer conv1 has 32 filters (0-31)",
                    socket.next("error").getString("message"), "beyond 64 bits, the range all the same");
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filter\":1e300}}");
            assertEquals("filter 1.0E300 is out of range: layer conv1 has 32 filters (0-31)", socket.next("error").getString("message"),
                    "written with an exponent, the range all the same");
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filter\":3.0}}");
            assertEquals("\"filter\" must be written without a decimal point or exponent: 3, not 3.0",
                    socket.next("error").getString("message"));
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filter\":2.5}}");
            assertEquals("objective needs an integer \"filter\", got 2.5", socket.next("error").getString("message"));
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"class\","
                    + "\"index\":99999999999999999999999}}");
            assertEquals("class 99999999999999999999999 is out of range: the model has 3 classes (0-2)",
                    socket.next("error").getString("message"));
            assertEquals(400, peer.get(port, "/api/models/tiny/examples?layer=conv1&filter=-1").status());
            // A negative filter is no index at all: 400 over the WebSocket too, as over HTTP (a newcomer's trial).
            socket.ws.writeTextMessage("{\"op\":\"start\",\"model\":\"tiny\",\"steps\":2,\"objective\":{\"type\":\"channel\","
                    + "\"layer\":\"conv1\",\"filter\":-1}}");
            JsonObject negative = socket.next("error");
            assertEquals("bad_request", negative.getString("code"));
            assertEquals("filter -1 is not a whole number from 0: layer conv1 has filters 0-31", negative.getString("message"));
        }
    }

    @Test
    void aBrowsersOfferOfCompressedMessagesIsDeclined() throws Exception {
        // Every browser offers this; frames are PNG or JPEG already, so deflating them again only costs the event loop.
        try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port,
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")) {
            assertFalse(ws.head.toLowerCase(java.util.Locale.ROOT).contains("sec-websocket-extensions"), ws.head);
            ws.frame(1, true, "{\"op\":\"list\"}".getBytes(StandardCharsets.US_ASCII));
            ws.frame(8, true, new byte[] {0x03, (byte) 0xe8});
            assertEquals(1000, ws.closeCode(), "an uncompressed message is answered, then the socket closes normally");
        }
    }

    @Test
    void invalidUtf8InATextMessageClosesWith1007() throws Exception {
        try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
            byte[] bad = "{\"op\":\"list\",\"x\":\"??\"}".getBytes(StandardCharsets.US_ASCII);
            bad[19] = (byte) 0xff;
            bad[20] = (byte) 0xfe;
            ws.frame(1, true, bad);
            assertEquals(1007, ws.closeCode());
        }
        // A character split over two frames is fine: the whole message is checked, not each frame.
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            socket.send(new JsonObject().put("op", "list").put("x", "\u00e9\u4e2d"));
            socket.next("runs");
        }
        try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
            byte[] all = "{\"op\":\"list\",\"x\":\"\u4e2d\"}".getBytes(StandardCharsets.UTF_8);
            ws.frame(1, false, Arrays.copyOfRange(all, 0, 19));
            ws.frame(0, true, Arrays.copyOfRange(all, 19, all.length));
            ws.frame(8, true, new byte[] {0x03, (byte) 0xe8});
            assertEquals(1000, ws.closeCode(), "valid when joined: answered, then closed normally");
        }
    }

    @Test
    void anOversizedMessageClosesWith1009SayingTheLimit() throws Exception {
        byte[] big = new byte[70_000];
        Arrays.fill(big, (byte) 'a');
        try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
            ws.frame(1, true, big);
            // Its reason read "protocol error" (Netty refuses the frame before the server's own check).
            assertEquals(new RawHttp.RawSocket.Close(1009, "message larger than the limit of 65536 bytes"), ws.closeFrame(),
                    "one frame over the limit");
        }
        try (RawHttp.RawSocket ws = new RawHttp.RawSocket(port, "127.0.0.1:" + port)) {
            ws.frame(1, false, Arrays.copyOfRange(big, 0, 40_000));
            ws.frame(0, true, Arrays.copyOfRange(big, 0, 40_000));
            assertEquals(new RawHttp.RawSocket.Close(1009, "message larger than the limit of 65536 bytes"), ws.closeFrame(),
                    "fragments adding up to more than the limit");
        }
    }

    @Test
    void errorMessagesDoNotShowWhereTheModelsLive() throws Exception {
        String dir = models.toAbsolutePath().toString();
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            Peer.Response list = peer.get(port, "/api/models");
            JsonObject broken = list.body().toJsonArray().stream().map(JsonObject.class::cast)
                    .filter(m -> m.getString("id").equals("broken")).findFirst().orElseThrow();
            assertTrue(broken.getString("error").contains("broken.json"), broken.encode());
            assertFalse(list.body().toString().contains(dir), list.body().toString());
            Peer.Response unknown = peer.get(port, "/api/models/nope");
            assertEquals(404, unknown.status());
            assertFalse(unknown.body().toString().contains(dir), unknown.body().toString());
            socket.send(Peer.start("broken", "conv1", 0, 2, null));
            String message = socket.next("error").getString("message");
            assertTrue(message.contains("broken") && !message.contains(dir), message);
        }
    }

    @Test
    void aListedButUnusableModelIsRefusedWithTheReasonTheListGives() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            String listed = peer.get(port, "/api/models").body().toJsonArray().stream().map(JsonObject.class::cast)
                    .filter(m -> m.getString("id").equals("broken")).findFirst().orElseThrow().getString("error");
            Peer.Response detail = peer.get(port, "/api/models/broken");
            assertEquals(404, detail.status());
            String message = detail.json().getJsonObject("error").getString("message");
            assertTrue(message.startsWith("model 'broken' cannot be used: ") && message.endsWith(listed), message);
            socket.send(Peer.start("broken", "conv1", 0, 2, null));
            assertEquals(message, socket.next("error").getString("message"));
        }
    }

    @Test
    void aKnownRouteWithTheWrongMethodIs405AndAnUnknownOneIs404() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            Peer.Response wrongMethod = peer.get(port, "/api/models/tiny/attribution");
            assertEquals(405, wrongMethod.status(), wrongMethod.body().toString());
            assertEquals("method_not_allowed", wrongMethod.error());
            assertTrue(wrongMethod.json().getJsonObject("error").getString("message").contains("GET"), wrongMethod.body().toString());
            assertEquals("POST", wrongMethod.headers().get("Allow"));
            Peer.Response postToGet = peer.post(port, "/api/models", "application/json", io.vertx.core.buffer.Buffer.buffer("{}"));
            assertEquals(405, postToGet.status(), postToGet.body().toString());
            Peer.Response unknownApi = peer.get(port, "/api/nope");
            assertEquals(404, unknownApi.status());
            assertTrue(unknownApi.json().getJsonObject("error").getString("message").contains("no such API route: /api/nope"));
            Peer.Response unknownFile = peer.get(port, "/nope.html");
            assertEquals(404, unknownFile.status());
            assertEquals("not_found", unknownFile.error());
        }
    }

    @Test
    void headIsAnsweredLikeGetWithoutABody() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            for (String path : List.of("/api/models", "/api/models/tiny", "/api/params", "/api/health", "/")) {
                Peer.Response get = peer.get(port, path);
                Peer.Response head = peer.head(port, path);
                assertEquals(200, head.status(), path + ": " + head.body());
                assertEquals(get.headers().get("Content-Type"), head.headers().get("Content-Type"), path);
                assertEquals(0, head.body().length(), path);
                if (!path.equals("/")) {
                    assertEquals(String.valueOf(get.body().length()), head.headers().get("Content-Length"), path);
                }
            }
            assertEquals(404, peer.head(port, "/api/models/nope").status());
        }
    }

    @Test
    void anActivationsFormatOtherThanPngIs400NamingTheFormats() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            byte[] png = ServerTest.encode(ServerTest.greyPicture(), "png");
            Peer.Response bmp = peer.upload(port, "/api/models/tiny/activations?layer=conv1&channel=0&format=bmp", png);
            assertEquals(400, bmp.status(), bmp.body().toString());
            assertEquals("unknown format 'bmp'; formats: png (a channel's map, with &channel=k)",
                    bmp.json().getJsonObject("error").getString("message"));
            Peer.Response ok = peer.upload(port, "/api/models/tiny/activations?layer=conv1&channel=0&format=png", png);
            assertEquals(200, ok.status(), ok.body().toString());
            assertEquals("image/png", ok.headers().get("Content-Type"));
        }
    }

    /** With maps=png the JSON answer carries each channel's map, the same PNG as asking for that channel alone. */
    @Test
    void mapsPngPutsEveryChannelsOwnMapInOneAnswer() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            byte[] png = ServerTest.encode(ServerTest.greyPicture(), "png");
            Peer.Response all = peer.upload(port, "/api/models/tiny/activations?layer=conv1&maps=png", png);
            assertEquals(200, all.status(), all.body().toString());
            var channels = all.json().getJsonArray("channels");
            assertEquals(32, channels.size());
            for (int i = 0; i < channels.size(); i += 9) {
                var c = channels.getJsonObject(i);
                Peer.Response one = peer.upload(port, "/api/models/tiny/activations?layer=conv1&channel=" + c.getInteger("index")
                        + "&format=png", png);
                assertEquals("data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(one.body().getBytes()),
                        c.getString("map"), "channel " + c.getInteger("index"));
            }
            Peer.Response plain = peer.upload(port, "/api/models/tiny/activations?layer=conv1", png);
            assertEquals(null, plain.json().getJsonArray("channels").getJsonObject(0).getString("map"), "no maps unless asked");
            Peer.Response bmp = peer.upload(port, "/api/models/tiny/activations?layer=conv1&maps=bmp", png);
            assertEquals(400, bmp.status(), bmp.body().toString());
            assertEquals("unknown maps 'bmp'; maps: png (every channel's map in the JSON answer)",
                    bmp.json().getJsonObject("error").getString("message"));
            Peer.Response withChannel = peer.upload(port, "/api/models/tiny/activations?layer=conv1&maps=png&channel=0", png);
            assertEquals(400, withChannel.status(), withChannel.body().toString());
            assertEquals("maps=png puts every channel's map in the JSON answer; it does not go with &channel=k",
                    withChannel.json().getJsonObject("error").getString("message"));
        }
    }

    @Test
    void aChannelOutOfRangeOrFormatPngWithoutAChannelIsRefusedSayingWhatToGive() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            byte[] png = ServerTest.encode(ServerTest.greyPicture(), "png");
            Peer.Response channel = peer.upload(port, "/api/models/tiny/activations?layer=conv1&channel=32&format=png", png);
            assertEquals(404, channel.status(), channel.body().toString());
            assertEquals("channel 32 is out of range: layer conv1 has 32 channels (0-31)",
                    channel.json().getJsonObject("error").getString("message"));
            Peer.Response beyond64Bits = peer.upload(port, "/api/models/tiny/activations?layer=conv1&channel=99999999999999999999&format=png", png);
            assertEquals(404, beyond64Bits.status(), beyond64Bits.body().toString());
            assertEquals("channel 99999999999999999999 is out of range: layer conv1 has 32 channels (0-31)",
                    beyond64Bits.json().getJsonObject("error").getString("message"));
            Peer.Response cls = peer.upload(port, "/api/models/tiny/attribution?class=99999999999999999999", png);
            assertEquals(404, cls.status(), cls.body().toString());
            assertEquals("class 99999999999999999999 is out of range: model tiny has 3 classes (0-2)",
                    cls.json().getJsonObject("error").getString("message"));
            Peer.Response noChannel = peer.upload(port, "/api/models/tiny/activations?layer=conv1&format=png", png);
            assertEquals(400, noChannel.status(), noChannel.body().toString());
            assertTrue(noChannel.json().getJsonObject("error").getString("message").startsWith("format=png is one channel's map: add &channel=k"),
                    noChannel.body().toString());
        }
    }

    @Test
    void aMissingFilterIs400SayingItIsRequired() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            Peer.Response none = peer.get(port, "/api/models/tiny/examples?layer=conv1");
            assertEquals(400, none.status(), none.body().toString());
            assertEquals("the filter query parameter is required: a whole number, 0 or more",
                    none.json().getJsonObject("error").getString("message"));
        }
    }

    /** An empty layer ({@code ?layer=}) is a missing one, for the examples as for the activations (it was "unknown layer ''"). */
    @Test
    void anEmptyLayerIs400SayingItIsRequired() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            for (String path : List.of("/api/models/tiny/examples?layer=&filter=1", "/api/models/tiny/examples?filter=1")) {
                Peer.Response empty = peer.get(port, path);
                assertEquals(400, empty.status(), path + ": " + empty.body());
                assertEquals("the layer query parameter is required, e.g. ?layer=conv1",
                        empty.json().getJsonObject("error").getString("message"), path);
            }
        }
    }

    @Test
    void aQueryParameterGivenTwiceIs400() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            Peer.Response twice = peer.get(port, "/api/models/tiny/examples?layer=conv1&filter=1&filter=2");
            assertEquals(400, twice.status(), twice.body().toString());
            assertEquals("the filter query parameter is given 2 times; give it once", twice.json().getJsonObject("error").getString("message"));
        }
    }

    @Test
    void aBrokenPercentEscapeInThePathOrQueryIs400WithAJsonError() throws Exception {
        for (String path : List.of("/api/health?x=%ZZ", "/api/models/tiny/examples?layer=conv%ZZ&filter=1", "/api/params?%=1",
                "/api/models/%ZZ", "/%ZZ")) {
            String answer = RawHttp.get(port, path, "127.0.0.1", "");
            assertEquals(400, RawHttp.status(answer), path + ": " + answer);
            JsonObject error = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getJsonObject("error");
            assertEquals("bad_request", error.getString("code"), path);
            assertTrue(error.getString("message").startsWith("malformed URL: "), path + ": " + error);
        }
    }

    @Test
    void plainHttpOnTheWebSocketPathIs426SayingItNeedsAnUpgrade() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            Peer.Response ws = peer.get(port, "/ws");
            assertEquals(426, ws.status(), ws.body().toString());
            assertEquals("websocket", ws.headers().get("Upgrade"));
            assertTrue(ws.json().getJsonObject("error").getString("message").startsWith("/ws is a WebSocket"), ws.body().toString());
        }
    }

    @Test
    void headersTooLargeAre431WithAJsonErrorSayingSo() throws Exception {
        String answer = RawHttp.get(port, "/api/health", "127.0.0.1", "X-Big: " + "a".repeat(20_000) + "\r\n");
        assertEquals(431, RawHttp.status(answer), answer);
        String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        assertEquals("request headers longer than 8192 bytes in all; send fewer or shorter headers",
                new JsonObject(body).getJsonObject("error").getString("message"));
    }

    @Test
    void filterAndFiltersTogetherOrUnwatchingARunNotWatchedIsAnError() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            socket.send(new JsonObject().put("op", "start").put("model", "tiny").put("steps", 2).put("objective",
                    new JsonObject().put("type", "channel").put("layer", "conv1").put("filter", 1).put("filters", new JsonArray().add(2))));
            assertEquals("give \"filter\" or \"filters\", not both", socket.next("error").getString("message"));
            socket.send(new JsonObject().put("op", "unwatch").put("run", "rnope"));
            JsonObject error = socket.next("error");
            assertEquals("not_found", error.getString("code"));
            assertEquals("you are not watching a run rnope (it ended, or you never watched it)", error.getString("message"));
        }
    }

    /**
     * Six starts at once that can never run (an unknown objective type, a preset there is none of) are each told why,
     * not "too_many_runs": refused as they are read, they take none of the connection's places for runs going or
     * starting (there were two too_many_runs then four "unknown objective type"), and a good start still gets one.
     */
    @Test
    void startsThatCanNeverRunAreRefusedBeforeTakingAPlaceForRuns() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            for (int i = 0; i < 6; i++) {
                socket.send(new JsonObject().put("op", "start").put("model", "tiny").put("steps", 2)
                        .put("objective", new JsonObject().put("type", "nope")).put("tag", "T" + i));
            }
            for (int i = 0; i < 6; i++) {
                JsonObject error = socket.next("error");
                assertEquals("bad_request", error.getString("code"), error.encode());
                assertTrue(error.getString("message").startsWith("unknown objective type 'nope' (known: channel, neuron, class"), error.encode());
                assertEquals("T" + i, error.getString("tag"));
            }
            for (int i = 0; i < 6; i++) {
                socket.send(Peer.start("tiny", "conv1", 1, 2, "P" + i).put("preset", "nope"));
            }
            for (int i = 0; i < 6; i++) {
                JsonObject error = socket.next("error");
                assertEquals("not_found", error.getString("code"), error.encode());
                assertTrue(error.getString("message").startsWith("unknown preset 'nope' (presets: "), error.encode());
            }
            socket.send(Peer.start("tiny", "conv1", 1, 2, "good"));
            assertEquals("completed", socket.next("done").getString("reason"));
        }
    }

    @Test
    void aStopOfARunThatEndedOrNeverWasIsNotFound() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            socket.send(new JsonObject().put("op", "stop").put("run", "rnope").put("tag", 1));
            JsonObject unknown = socket.next("error");
            assertEquals("not_found", unknown.getString("code"));
            assertEquals("no run rnope (it ended, or it never was)", unknown.getString("message"));
            assertEquals(1, unknown.getInteger("tag"));
            socket.send(Peer.start("tiny", "conv1", 1, 100_000, null));
            String run = socket.next("started").getString("run");
            // The second stop reaches the server before the first's "done" has reached this client: the run is gone
            // from the worker either way, and was answered nothing.
            socket.send(new JsonObject().put("op", "stop").put("run", run).put("tag", 2));
            socket.send(new JsonObject().put("op", "stop").put("run", run).put("tag", 3));
            assertEquals("stopped", socket.next("done").getString("reason"));
            JsonObject again = socket.next("error");
            assertEquals("not_found", again.getString("code"));
            assertEquals("no run " + run + " (it ended, or it never was)", again.getString("message"));
            assertEquals(3, again.getInteger("tag"));
        }
    }

    /**
     * tiny (LeNet, 28 px): conv3's map is 3x3 at 14 px and none at 8 px (its input, a pool of a 4x4 map, is 2x2): a neuron
     * off that map, or a layer without one, is refused before the run starts, naming the map's width or the smallest size.
     */
    @Test
    void aNeuronOffTheMapAtTheRunsSizeOrALayerWithoutAMapIsRefusedBeforeTheStart() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            JsonObject neuron = new JsonObject().put("type", "neuron").put("layer", "conv3").put("filter", 5).put("x", 5).put("y", 2);
            socket.send(new JsonObject().put("op", "start").put("model", "tiny").put("steps", 2).put("size", 14).put("preset", "plain")
                    .put("objective", neuron));
            JsonObject error = socket.next(e -> List.of("error", "started").contains(e.getString("type")));
            assertEquals("bad_request", error.getString("code"), error.encode());
            assertEquals("neuron x 5 is outside layer conv3's width 0-2 at 14 px", error.getString("message"));
            socket.send(new JsonObject().put("op", "start").put("model", "tiny").put("steps", 2).put("size", 8).put("preset", "plain")
                    .put("objective", new JsonObject().put("type", "channel").put("layer", "conv3").put("filter", 1)));
            error = socket.next(e -> List.of("error", "started").contains(e.getString("type")));
            assertEquals("bad_request", error.getString("code"), error.encode());
            assertEquals("layer conv3 of tiny has no map at 8 px: a map on its way shrinks to nothing; the smallest size it takes is 10 px",
                    error.getString("message"));
        }
    }

    @Test
    void aPenaltyAloneIsNoDeadFilter() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1"); Peer.Socket socket = peer.connect(port)) {
            socket.send(new JsonObject().put("op", "start").put("model", "tiny").put("steps", 2).put("objective",
                    new JsonObject().put("type", "sum").put("terms", new JsonArray().add(new JsonObject().put("weight", -0.001)
                            .put("objective", new JsonObject().put("type", "tv"))))));
            JsonObject done = socket.next("done");
            assertEquals("completed", done.getString("reason"));
            assertEquals(new JsonArray(), done.getJsonArray("dead"), done.encode());
        }
    }

    @Test
    void anUploadOfTwoImagePartsIs400() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            byte[] png = ServerTest.encode(ServerTest.greyPicture(), "png");
            for (String route : List.of("activations?layer=conv1", "attribution")) {
                Peer.Response two = peer.upload(port, "/api/models/tiny/" + route, png, png);
                assertEquals(400, two.status(), route + ": " + two.body());
                assertEquals("one image part expected, got 2 parts named \"image\"", two.json().getJsonObject("error").getString("message"));
            }
        }
    }

    @Test
    void thePageForbidsFramingSniffingAndForeignScripts() throws Exception {
        try (Peer peer = new Peer(vertx, "127.0.0.1")) {
            for (String path : List.of("/", "/app.js", "/api/models")) {
                Peer.Response r = peer.get(port, path);
                String csp = r.headers().get("Content-Security-Policy");
                assertTrue(csp != null && csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), path + ": " + csp);
                assertTrue(!csp.contains("'self' 'self'"), "each source once: " + csp);
                assertEquals("DENY", r.headers().get("X-Frame-Options"), path);
                assertEquals("nosniff", r.headers().get("X-Content-Type-Options"), path);
            }
        }
    }
}
