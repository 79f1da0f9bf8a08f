package io.filterscope.server.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.filterscope.engine.objective.Objective;
import io.filterscope.engine.objective.Objectives;
import io.filterscope.engine.preset.Params;
import io.filterscope.engine.preset.Preset;
import io.filterscope.engine.preset.Presets;
import io.filterscope.server.ApiError;
import io.vertx.core.eventbus.EventBus;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The wire format, in one place: the one JSON mapper (Jackson) that reads clients' messages and writes the
 * server's events, the decoding of a text frame with one-line errors, and the codecs that carry protocol
 * records over the event bus.
 */
public final class Protocol {
    /**
     * Strict about types (no "5" for 5, no 5.5 for a whole number) and about a field given twice (not the last
     * value winning), lenient about fields it does not know.
     */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, text -> text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    /** Every record that crosses the event bus, each with a {@link RecordCodec} on every node. */
    static final List<Class<?>> BUS_RECORDS = List.of(ComputeApi.StartRun.class, ComputeApi.Accepted.class,
            ComputeApi.UpdateRun.class, ComputeApi.RunList.class, ComputeApi.MapsRequest.class, ComputeApi.ExamplesRequest.class,
            ComputeApi.ModelRequest.class, ComputeApi.AttributionRequest.class, ReplayApi.AnimationRequest.class,
            ServerEvent.Preparing.class, ServerEvent.Queued.class, ServerEvent.Started.class, ServerEvent.Updated.class, ServerEvent.Done.class,
            WorkerStatus.class, Answers.ModelList.class, Answers.ModelDetail.class, Answers.ActivationMaps.class,
            Answers.Examples.class, Answers.Health.class, Answers.Attribution.class);

    /** Reads a bad message's text as a tree, for its op and tag, even when a field is given twice (the last is read). */
    private static final ObjectMapper TREES = new ObjectMapper();
    /** Jackson's words for a field given twice, with the field's name. */
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);
    private static final String OPS = "start, stop, update, watch, unwatch, list";

    private Protocol() {
    }

    /** A text frame that is no valid message: what was wrong, and the message's tag when it had one. */
    public static final class BadMessage extends Exception {
        public final transient JsonNode tag;
        /** Whether it names something there is none of (a preset), 404 not_found, rather than being malformed (400). */
        private final boolean notFound;

        BadMessage(String message, JsonNode tag) {
            this(message, tag, false);
        }

        BadMessage(String message, JsonNode tag, boolean notFound) {
            super(message);
            this.tag = tag;
            this.notFound = notFound;
        }

        public ApiError error() {
            return notFound ? ApiError.notFound(getMessage()) : ApiError.badRequest(getMessage());
        }
    }

    /** Reads one client text frame, bound to its record in one pass. @throws BadMessage saying what is wrong */
    public static ClientMessage decode(String text) throws BadMessage {
        ClientMessage message;
        try {
            message = JSON.readValue(text, ClientMessage.class);
        } catch (JsonProcessingException e) {
            throw bad(text, e);
        }
        if (message == null) { // the text "null": Jackson binds it to no object rather than refusing it
            throw new BadMessage("message is not a JSON object", null);
        }
        if (namesNoRun(message)) {
            throw new BadMessage("stop, update, watch and unwatch need the \"run\" they are about, e.g. "
                    + "{\"op\":\"stop\",\"run\":\"r1\"}", tagOf(message.tag()));
        }
        if (message instanceof ClientMessage.Start start) {
            try {
                checkForm(start);
            } catch (io.filterscope.UserError e) {
                throw new BadMessage(e.getMessage(), tagOf(start.tag()), e.notFound);
            }
        }
        return message;
    }

    /**
     * Checks what of a start no model is needed for: its numbers (size, steps, pace) within their bounds, a model named,
     * its objective's form ({@link Objectives#checkForm}: type, fields, a sum's terms), its preset and its params. A
     * start that could never run is told so as it is read, not "too_many_runs" when its client has runs starting (the
     * limits on runs count starts not yet accepted); a worker reads it again so before it reads the model.
     *
     * @return objectives of the kinds it asks for, standing for no layer or index
     * @throws io.filterscope.UserError one line saying what is wrong (404 for a preset there is none of)
     */
    public static List<Objective> checkForm(ClientMessage.Start start) {
        withinIfGiven(Params.SIZE, start.size());
        withinIfGiven(Params.STEPS, start.steps());
        withinIfGiven(Params.PACE, start.pace());
        if (start.model() == null) {
            throw new io.filterscope.UserError("start needs a string \"model\"");
        }
        if (start.objective() == null || !start.objective().isObject()) {
            throw new io.filterscope.UserError("start needs an \"objective\" object, e.g. {\"type\":\"channel\",\"layer\":\"conv2\",\"filter\":3}");
        }
        List<Objective> kinds = Objectives.checkForm(start.objective());
        Preset preset = start.preset() == null ? Presets.defaultFor(kinds) : Presets.named(start.preset());
        preset.defaults().with(start.params());
        return kinds;
    }

    private static void withinIfGiven(io.filterscope.engine.preset.Param<Integer> field, Integer value) {
        if (value != null) {
            field.within(value);
        }
    }

    private static boolean namesNoRun(ClientMessage m) {
        return m instanceof ClientMessage.Stop s && noRun(s.run()) || m instanceof ClientMessage.Update u && noRun(u.run())
                || m instanceof ClientMessage.Watch w && noRun(w.run()) || m instanceof ClientMessage.Unwatch x && noRun(x.run());
    }

    /** A run field absent, or empty ({@code "run":""} was told "no run  to watch", its id left out between two spaces). */
    private static boolean noRun(String run) {
        return run == null || run.isBlank();
    }

    /**
     * Where a text stops being JSON, in Jackson's first line less its character codes, source excerpts and advice on
     * Jackson's own settings: {@code malformed JSON at column 3: Unexpected character ('n'): was expecting double-quote to
     * start field name}.
     */
    private static String malformed(JsonProcessingException e) {
        String why = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("").replaceAll(" \\(code -?\\d+\\)", "");
        for (String tail : List.of(" (start marker", ": enable ")) {
            int cut = why.indexOf(tail);
            why = cut > 0 ? why.substring(0, cut) : why;
        }
        why = why.strip();
        var at = e.getLocation();
        return "malformed JSON" + (at == null ? "" : (at.getLineNr() > 1 ? " at line " + at.getLineNr() + ", column " : " at column ")
                + at.getColumnNr()) + ": " + why;
    }

    /** Why a text is no message: only on this error path is the text read again, as a tree, for its op and tag. */
    private static BadMessage bad(String text, JsonProcessingException e) {
        JsonNode tree;
        JsonProcessingException syntax = null;
        try {
            tree = TREES.readTree(text);
        } catch (JsonProcessingException notJson) {
            tree = null;
            syntax = notJson;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StreamConstraintsException limit) {
                return new BadMessage(tooLarge(limit), null);
            }
        }
        if (syntax instanceof StreamConstraintsException limit) { // a text too deep to read as a tree either: [[[...
            return new BadMessage(tooLarge(limit), null);
        }
        if (syntax != null) {
            return new BadMessage(malformed(syntax), null);
        }
        if (tree == null || !tree.isObject()) {
            return new BadMessage("message is not a JSON object", null);
        }
        JsonNode tag = tagOf(tree.get("tag"));
        for (Throwable t = e; t != null; t = t.getCause()) { // inside an objective, wrapped by the mapping that read it
            Matcher duplicate = t instanceof StreamReadException r ? DUPLICATE.matcher(String.valueOf(r.getOriginalMessage())) : null;
            if (duplicate != null && duplicate.matches()) {
                return new BadMessage("the \"" + duplicate.group(1) + "\" field is given more than once; give it once", tag);
            }
        }
        if (e instanceof InvalidTypeIdException) {
            JsonNode op = tree.get("op");
            return new BadMessage("unknown op " + (op == null || op.isNull() ? "(none)" : "'" + op.asText() + "'")
                    + "; ops: " + OPS, tag);
        }
        return new BadMessage(e instanceof JsonMappingException m ? describe(m, tree) : "bad message: " + e.getOriginalMessage(), tag);
    }

    /**
     * A message beyond one of Jackson's {@link com.fasterxml.jackson.core.StreamReadConstraints}: nested too deeply
     * (objects and arrays within each other), or a number or string too long.
     */
    private static String tooLarge(StreamConstraintsException e) {
        int depth = JSON.getFactory().streamReadConstraints().getMaxNestingDepth();
        return String.valueOf(e.getOriginalMessage()).startsWith("Document nesting depth")
                ? "message is nested too deeply: at most " + depth + " levels of objects and arrays within each other"
                : "message has a value too long: " + String.valueOf(e.getOriginalMessage()).replaceFirst(", from `[^`]*`", "");
    }

    /** A tag worth echoing: absent and JSON null are none. */
    public static JsonNode tagOf(JsonNode tag) {
        return tag == null || tag.isNull() || tag.isMissingNode() ? null : tag;
    }

    /**
     * One line for a field of the wrong type: {@code "steps" must be a whole number}; for a run field's number
     * beyond 32 bits, its bounds: {@code "steps" must be a whole number from 1 to 100000, got 3000000000}.
     */
    private static String describe(JsonMappingException e, JsonNode tree) {
        String field = e.getPath().isEmpty() ? "message" : e.getPath().get(e.getPath().size() - 1).getFieldName();
        if (e.getCause() instanceof InputCoercionException || e.getProcessor() != null
                && String.valueOf(e.getOriginalMessage()).contains("out of range")) {
            return Params.RUN_FIELDS.stream().filter(p -> p.name().equals(field) && e.getPath().size() == 1).findFirst()
                    .map(p -> "\"" + field + "\" must be " + p.wholeNumbers() + ", got " + tree.get(field).asText())
                    .orElse("\"" + field + "\" is out of range");
        }
        Class<?> type = e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m ? m.getTargetType() : null;
        boolean whole = type == Integer.class || type == int.class;
        JsonNode value = e.getPath().size() == 1 ? tree.get(field) : null;
        if (whole && value != null && value.isFloatingPointNumber()) {
            return fractionForWhole(field, value);
        }
        String expected = whole ? "a whole number" : type == String.class ? "a string" : "of another type";
        return "\"" + field + "\" must be " + expected;
    }

    /**
     * A JSON number with a fraction or exponent where a whole number goes: the fields are whole numbers as JSON
     * writes them (as {@code 100}), so {@code 1e2} is refused, saying what to write; {@code 1.5}, and a whole number
     * beyond the field's bounds ({@code 1e6} steps), or beyond a double's range ({@code 1e400}, which Jackson reads as an
     * infinite double, with no BigDecimal), with the field's bounds.
     */
    private static String fractionForWhole(String field, JsonNode number) {
        java.util.Optional<io.filterscope.engine.preset.Param<?>> param = Params.RUN_FIELDS.stream()
                .filter(p -> p.name().equals(field)).findFirst();
        String bounds = param.map(p -> p.wholeNumbers()).orElse("a whole number");
        if (!Double.isFinite(number.doubleValue())) {
            return "\"" + field + "\" must be " + bounds + ", got a number beyond a double's range";
        }
        java.math.BigDecimal value = number.decimalValue();
        java.math.BigDecimal stripped = value.stripTrailingZeros();
        if (stripped.scale() > 0) {
            return "\"" + field + "\" must be " + bounds + ", got " + value;
        }
        String whole = stripped.abs().compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) <= 0 ? stripped.toPlainString()
                : stripped.toString();
        boolean inBounds = param.map(p -> stripped.compareTo(java.math.BigDecimal.valueOf(p.min())) >= 0
                && stripped.compareTo(java.math.BigDecimal.valueOf(p.max())) <= 0).orElse(true);
        return inBounds ? "\"" + field + "\" must be " + bounds + " written without a decimal point or exponent: " + whole + ", not " + value
                : "\"" + field + "\" must be " + bounds + ", got " + whole;
    }

    /** The event as the client reads it. */
    public static String encode(Object event) {
        try {
            return JSON.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + event, e);
        }
    }

    /** Lets every protocol record travel over {@code bus}; each node of a cluster does the same at start. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void registerCodecs(EventBus bus) {
        for (Class<?> type : BUS_RECORDS) {
            bus.registerDefaultCodec((Class) type, new RecordCodec<>(type, JSON));
        }
    }
}
