package io.filterscope.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.filterscope.engine.preset.Param;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Schema;
import io.vertx.core.buffer.Buffer;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Client text decoded once into records, with one-line errors; events written as the contract says; records across the bus. */
class ProtocolTest {

    private static String error(String text) {
        return assertThrows(Protocol.BadMessage.class, () -> Protocol.decode(text)).getMessage();
    }

    @Test
    void aStartIsBoundToItsRecordWithItsTagAndParams() throws Exception {
        ClientMessage m = Protocol.decode("{\"op\":\"start\",\"model\":\"tiny\",\"objective\":{\"type\":\"channel\",\"layer\":\"c\","
                + "\"filter\":3},\"steps\":5,\"preset\":\"natural\",\"params\":{\"blurSigma\":1.5},\"tag\":[1,\"a\"],\"future\":true}");
        ClientMessage.Start start = assertInstanceOf(ClientMessage.Start.class, m);
        assertEquals("tiny", start.model());
        assertEquals(5, start.steps());
        assertNull(start.size(), "absent numbers stay absent: the schema's defaults apply later");
        assertEquals(1.5, start.params().get("blurSigma").asDouble());
        assertEquals("[1,\"a\"]", start.tag().toString());
        assertInstanceOf(ClientMessage.ListRuns.class, Protocol.decode("{\"op\":\"list\"}"));
    }

    @Test
    void badMessagesSayWhatIsWrongInOneLineAndKeepTheirTag() {
        assertEquals("malformed JSON at column 2: Unexpected character ('n'): was expecting double-quote to start field name",
                error("{not json"));
        assertEquals("malformed JSON at line 2, column 12: Unexpected end-of-input: expected close marker for Object",
                error("{\"op\":\"stop\",\n \"run\":\"r1\""));
        assertEquals("malformed JSON at column 13: Non-standard token 'NaN'", error("{\"steps\":NaN}"));
        assertEquals("message is not a JSON object", error("[1,2]"));
        assertEquals("message is not a JSON object", error(" null "));
        assertEquals("unknown op 'dance'; ops: start, stop, update, watch, unwatch, list", error("{\"op\":\"dance\"}"));
        assertEquals("unknown op (none); ops: start, stop, update, watch, unwatch, list", error("{\"run\":\"r\"}"));
        assertEquals("\"steps\" must be a whole number", error("{\"op\":\"start\",\"steps\":\"5\"}"));
        assertEquals("\"steps\" must be a whole number from 1 to 100000, got 5.5", error("{\"op\":\"start\",\"steps\":5.5}"));
        assertEquals("\"steps\" must be a whole number from 1 to 100000 written without a decimal point or exponent: 100, not 100.0",
                error("{\"op\":\"start\",\"steps\":1e2}"));
        assertEquals("\"steps\" must be a whole number from 1 to 100000, got 1000000", error("{\"op\":\"start\",\"steps\":1e6}"),
                "a number beyond the bounds is told so, not to be written out in full");
        assertEquals("\"seed\" must be a whole number from -2147483648 to 2147483647, got 1E+20",
                error("{\"op\":\"start\",\"seed\":1e20}"));
        assertEquals("\"seed\" must be a whole number from -2147483648 to 2147483647, got 99999999999",
                error("{\"op\":\"start\",\"seed\":99999999999}"));
        for (String op : List.of("stop", "update", "watch", "unwatch")) {
            assertTrue(error("{\"op\":\"" + op + "\"}").startsWith("stop, update, watch and unwatch need the \"run\""), op);
            assertEquals(error("{\"op\":\"" + op + "\"}"), error("{\"op\":\"" + op + "\",\"run\":\"\"}"), "an empty run, as a missing one: " + op);
            assertEquals(error("{\"op\":\"" + op + "\"}"), error("{\"op\":\"" + op + "\",\"run\":\" \"}"), op);
        }
        Protocol.BadMessage tagged = assertThrows(Protocol.BadMessage.class,
                () -> Protocol.decode("{\"op\":\"start\",\"model\":7,\"tag\":\"mine\"}"));
        assertEquals("\"model\" must be a string", tagged.getMessage());
        assertEquals("mine", tagged.tag.asText());
    }

    /** A field given twice was read with its last value winning (another model started than the first named). */
    @Test
    void aFieldGivenTwiceIsRefusedNamingItAndKeepingTheTag() {
        Protocol.BadMessage twice = assertThrows(Protocol.BadMessage.class, () -> Protocol.decode(
                "{\"op\":\"start\",\"model\":\"emoji-cnn\",\"model\":\"fashion-cnn\",\"tag\":\"mine\"}"));
        assertEquals("the \"model\" field is given more than once; give it once", twice.getMessage());
        assertEquals("mine", twice.tag.asText());
        assertEquals("the \"type\" field is given more than once; give it once",
                error("{\"op\":\"start\",\"objective\":{\"type\":\"channel\",\"type\":\"class\"}}"));
    }

    /** /api/params says which run fields may change mid-run: exactly those an update carries. */
    @Test
    void theSchemaCallsLiveExactlyTheRunFieldsAnUpdateCarries() {
        Set<String> updatable = Arrays.stream(ClientMessage.Update.class.getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.toSet());
        for (JsonNode field : Schema.json().get("run")) {
            String name = field.get("name").asText();
            assertEquals(updatable.contains(name), field.get("live").asBoolean(), name);
        }
        assertEquals(Set.of("pace"), Params.RUN_FIELDS.stream().filter(Param::live).map(Param::name).collect(Collectors.toSet()));
    }

    @Test
    void aRunFieldBeyond32BitsIsOutOfRangeWithItsBounds() {
        assertEquals("\"steps\" must be a whole number from 1 to 100000, got 3000000000", error("{\"op\":\"start\",\"steps\":3000000000}"));
        assertEquals("\"size\" must be a whole number from 8 to 512, got 300000000000000000000000",
                error("{\"op\":\"start\",\"size\":300000000000000000000000}"));
        assertEquals("\"pace\" must be a whole number from 0 to 1000, got 3000000000",
                error("{\"op\":\"update\",\"run\":\"r\",\"pace\":3000000000}"));
        // beyond a double (read as Infinity, which has no BigDecimal): answered, not a NumberFormatException left unanswered
        assertEquals("\"steps\" must be a whole number from 1 to 100000, got a number beyond a double's range",
                error("{\"op\":\"start\",\"steps\":1e400}"));
        assertEquals("\"size\" must be a whole number from 8 to 512, got a number beyond a double's range",
                error("{\"op\":\"start\",\"size\":-1e309}"));
        assertEquals("\"pace\" must be a whole number from 0 to 1000, got a number beyond a double's range",
                error("{\"op\":\"update\",\"run\":\"r\",\"pace\":1e400}"));
    }

    /** Checked as the message is read, so that no limit on runs (which counts starts not yet accepted) answers first. */
    @Test
    void aStartsNumbersOutOfBoundsAreRefusedAsItIsRead() {
        assertEquals("\"size\" must be a whole number from 8 to 512, got 100000", error("{\"op\":\"start\",\"size\":100000}"));
        assertEquals("\"steps\" must be a whole number from 1 to 100000, got 0", error("{\"op\":\"start\",\"steps\":0}"));
        assertEquals("\"pace\" must be a whole number from 0 to 1000, got -1", error("{\"op\":\"start\",\"pace\":-1}"));
    }

    /**
     * What of a start needs no model is checked as it is read: an objective's type and fields, a sum's terms, the preset
     * and the params; a layer, and an index's range, are the model's.
     */
    @Test
    void aStartThatCanNeverRunIsRefusedAsItIsRead() throws Exception {
        String start = "{\"op\":\"start\",\"model\":\"m\",\"objective\":";
        assertTrue(error(start + "{\"type\":\"nope\"}}").startsWith("unknown objective type 'nope' (known: channel,"));
        assertEquals("objective needs a string \"layer\"", error(start + "{\"type\":\"channel\",\"filter\":1}}"));
        assertEquals("objective needs an integer \"filter\", got 1.5", error(start + "{\"type\":\"channel\",\"layer\":\"c\",\"filter\":1.5}}"));
        assertEquals("every term of a sum needs a numeric \"weight\"",
                error(start + "{\"type\":\"sum\",\"terms\":[{\"objective\":{\"type\":\"tv\"}}]}}"));
        assertEquals("\"filters\" item 2 of 2: objective needs an integer \"filter\"",
                error(start + "{\"type\":\"channel\",\"layer\":\"c\",\"filters\":[1,\"x\"]}}"));
        assertEquals("start needs a string \"model\"", error("{\"op\":\"start\",\"objective\":{\"type\":\"tv\"}}"));
        assertTrue(error(start + "{\"type\":\"tv\"},\"params\":{\"nope\":1}}").startsWith("unknown"), "a param there is none of");
        Protocol.BadMessage preset = assertThrows(Protocol.BadMessage.class,
                () -> Protocol.decode(start + "{\"type\":\"tv\"},\"preset\":\"nope\"}"));
        assertEquals("not_found", preset.error().code());
        for (String fine : List.of("{\"type\":\"channel\",\"layer\":\"anything\",\"filter\":99999999999999999999}",
                "{\"type\":\"neuron\",\"layer\":\"c\",\"filter\":-1,\"x\":3}", "{\"type\":\"class\",\"index\":1e300}",
                "{\"type\":\"sum\",\"terms\":[{\"weight\":-1,\"objective\":{\"type\":\"deepdream\",\"layer\":\"x\"}}]}")) {
            assertInstanceOf(ClientMessage.Start.class, Protocol.decode(start + fine + "}"), "the model's to judge: " + fine);
        }
    }

    @Test
    void aMessageNestedTooDeeplyIsSaidSoNotCalledNoObject() {
        String deep = "{\"op\":\"start\",\"objective\":" + "{\"type\":\"sum\",\"terms\":[{\"weight\":1,\"objective\":".repeat(500)
                + "{}" + "}]}".repeat(500) + "}";
        assertEquals("message is nested too deeply: at most 1000 levels of objects and arrays within each other", error(deep));
        assertEquals("message is nested too deeply: at most 1000 levels of objects and arrays within each other",
                error("{\"a\":".repeat(1001) + "1" + "}".repeat(1001)));
        assertEquals("message is nested too deeply: at most 1000 levels of objects and arrays within each other",
                error("[".repeat(2000) + "]".repeat(2000)));
    }

    @Test
    void eventsAreWrittenAsTheContractSays() {
        assertEquals("{\"type\":\"queued\",\"run\":\"r1\",\"position\":2}", Protocol.encode(new ServerEvent.Queued("r1", 2, null)));
        assertEquals("{\"type\":\"done\",\"run\":\"r1\",\"reason\":\"completed\",\"steps\":3,\"seconds\":0.25,\"loss\":0.5,\"losses\":[0.5],\"dead\":[]}",
                Protocol.encode(new ServerEvent.Done("r1", ServerEvent.Done.Reason.COMPLETED, 3, 0.25, 0.5, List.of(0.5), List.of(), null, null, null)));
        assertEquals("{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"x\"}",
                Protocol.encode(new ServerEvent.Error("bad_request", "x", null)));
    }

    @Test
    void recordsCrossTheClusterAsJsonAndComeBackEqual() throws Exception {
        ClientMessage.Start start = (ClientMessage.Start) Protocol.decode(
                "{\"op\":\"start\",\"model\":\"m\",\"objective\":{\"type\":\"class\",\"index\":1},\"tag\":{\"k\":1}}");
        for (Object record : List.of(new ComputeApi.StartRun("r1", "f-1", "127.0.0.1", start),
                new ServerEvent.Done("r1", ServerEvent.Done.Reason.FAILED, 0, null, null, null, null, null, null, "gone"),
                new WorkerStatus("w-1", "n-1", "cpu", "x", List.of("m"), 1, 0, List.of("r1"), false, "wedged",
                        "busy with a step for 130 s", 1L << 30, 1L << 20, 0))) {
            @SuppressWarnings("unchecked")
            RecordCodec<Object> codec = new RecordCodec<>((Class<Object>) record.getClass(), Protocol.JSON);
            Buffer wire = Buffer.buffer().appendString("prefix");
            codec.encodeToWire(wire, record);
            assertEquals(record, codec.decodeFromWire(6, wire));
        }
    }
}
