package io.filterscope.engine.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.UserError;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Everything that shapes a run besides its objective, in the protocol's names. Any of them may change
 * between two steps of a running run ({@link #with}). Lengths and learning rates are in units of the
 * model's input range, so the same settings suit a [0, 1] model and a [0, 255] one.
 *
 * @param optimizer "ascent" (gradient normalized by its RMS, Keras-blog style) or "adam"
 * @param lr step size; ascent moves the average pixel by lr per step
 * @param lrDecay the step size at step t is lr / (1 + lrDecay * t)
 * @param l2Decay factor applied to the image's distance from mid-grey every step (1 = off)
 * @param blurSigma Gaussian blur sigma in pixels (0 = off)
 * @param blurEvery blur every this many steps
 * @param blurDecay sigma is multiplied by this after every blur, so the blur shrinks as the image forms
 * @param clipNormPercentile pixels whose norm is below this percentile are reset to mid-grey (0 = off)
 * @param clipContribPercentile pixels whose contribution to the objective is below this percentile are reset (0 = off)
 * @param jitter random shift of up to this many pixels before each step (0 = off)
 * @param scale random scale factors to pick from each step (empty = off)
 * @param rotate random rotation of up to this many degrees either way (0 = off)
 * @param tv weight of the total-variation penalty (0 = off)
 * @param parameterization "pixel" or "fft" (Fourier basis with a 1/f scale)
 * @param decorrelate with fft and three channels, optimize in a decorrelated colour space
 * @param leakyRelu slope given to inactive ReLUs' gradients during the first {@code leakySteps} steps (0 = off)
 * @param leakySteps how many steps the leaky gradient lasts
 */
public record RenderParams(
        String optimizer,
        double lr,
        double lrDecay,
        double l2Decay,
        double blurSigma,
        int blurEvery,
        double blurDecay,
        double clipNormPercentile,
        double clipContribPercentile,
        double jitter,
        List<Double> scale,
        double rotate,
        double tv,
        String parameterization,
        boolean decorrelate,
        double leakyRelu,
        int leakySteps) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static final RenderParams DEFAULTS = new RenderParams("ascent", 0.01, 0, 1, 0, 4, 1, 0, 0, 0,
            List.of(), 0, 0, "pixel", true, 0, 16);

    public RenderParams {
        scale = List.copyOf(scale);
        check(optimizer.equals("ascent") || optimizer.equals("adam"), "optimizer must be \"ascent\" or \"adam\"");
        check(parameterization.equals("pixel") || parameterization.equals("fft"), "parameterization must be \"pixel\" or \"fft\"");
        range("lr", lr, 1e-6, 10);
        range("lrDecay", lrDecay, 0, 100);
        range("l2Decay", l2Decay, 0.5, 1);
        range("blurSigma", blurSigma, 0, 10);
        range("blurEvery", blurEvery, 1, 1000);
        range("blurDecay", blurDecay, 0.5, 1);
        range("clipNormPercentile", clipNormPercentile, 0, 100);
        range("clipContribPercentile", clipContribPercentile, 0, 100);
        range("jitter", jitter, 0, 64);
        range("rotate", rotate, 0, 180);
        range("tv", tv, 0, 1e3);
        range("leakyRelu", leakyRelu, 0, 1);
        range("leakySteps", leakySteps, 0, 100_000);
        check(scale.size() <= 32, "scale may list at most 32 factors");
        for (double s : scale) {
            range("scale factor", s, 0.25, 4);
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new UserError(message);
        }
    }

    private static void range(String name, double v, double min, double max) {
        check(Double.isFinite(v) && v >= min && v <= max, name + " must be between " + min + " and " + max + ", got " + v);
    }

    /** These params with the fields present in {@code changes} replaced; unknown fields are an error. */
    public RenderParams with(JsonNode changes) {
        if (changes == null || changes.isNull()) {
            return this;
        }
        if (!changes.isObject()) {
            throw new UserError("params must be a JSON object");
        }
        ObjectNode merged = toJson();
        for (Iterator<Map.Entry<String, JsonNode>> it = changes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!merged.has(e.getKey())) {
                throw new UserError("unknown param '" + e.getKey() + "' (known: " + String.join(", ", names()) + ")");
            }
            JsonNode old = merged.get(e.getKey());
            JsonNode value = e.getValue();
            boolean sameType = old.isNumber() ? value.isNumber() : old.isTextual() ? value.isTextual()
                    : old.isBoolean() ? value.isBoolean() : value.isArray();
            check(sameType, "param '" + e.getKey() + "' must be " + (old.isNumber() ? "a number" : old.isTextual()
                    ? "a string" : old.isBoolean() ? "true or false" : "a list of numbers"));
            if (old.isInt() || e.getKey().equals("blurEvery") || e.getKey().equals("leakySteps")) {
                check(value.isIntegralNumber(), "param '" + e.getKey() + "' must be a whole number");
            }
            if (value.isArray()) {
                for (JsonNode v : value) {
                    check(v.isNumber(), "param '" + e.getKey() + "' must be a list of numbers");
                }
            }
            merged.set(e.getKey(), value);
        }
        try {
            return JSON.treeToValue(merged, RenderParams.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            Throwable cause = ex.getCause();
            if (cause instanceof UserError user) {
                throw user;
            }
            throw new UserError("bad params: " + ex.getOriginalMessage());
        }
    }

    public ObjectNode toJson() {
        return JSON.valueToTree(this);
    }

    private static List<String> names() {
        List<String> names = new ArrayList<>();
        DEFAULTS.toJson().fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The step size at step {@code step}. */
    public double stepSize(int step) {
        return lr / (1 + lrDecay * step);
    }
}
