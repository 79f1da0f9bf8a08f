package io.filterscope.engine.objective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.net.LayerInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A number out of an objective's bounds is refused as the message is read, the bounds said (docs/protocol.md). */
class ObjectivesTest {
    private static final Objectives OBJECTIVES = new Objectives(List.of(
            new LayerInfo("conv1", "conv2d 3x3", 8, List.of(8L, 30L, 30L), null)), null);

    private static String refusal(String json) {
        return assertThrows(UserError.class, () -> OBJECTIVES.parse(new ObjectMapper().readTree(json))).getMessage();
    }

    /** A weight of 1e300 was accepted, and the run failed at step 1: "gradient became NaN or infinite". */
    @Test
    void aSumTermsWeightOutOfBoundsIsRefusedSayingThem() throws Exception {
        String sum = "{\"type\":\"sum\",\"terms\":[{\"weight\":%s,\"objective\":{\"type\":\"channel\",\"layer\":\"conv1\",\"filter\":0}}]}";
        assertEquals("a sum term's \"weight\" must be between -10000.0 and 10000.0, got 1.0E300", refusal(sum.formatted("1e300")));
        assertEquals("a sum term's \"weight\" must be between -10000.0 and 10000.0, got -20000", refusal(sum.formatted("-20000")));
        assertEquals(new WeightedSum(List.of(new WeightedSum.Term(-1e4, new ChannelObjective("conv1", 0)))),
                OBJECTIVES.parse(new ObjectMapper().readTree(sum.formatted("-1e4"))), "the bound itself is allowed");
    }

    /** "x" 1e300 was "\"x\" 1.0E300 is out of range", with no bounds. */
    @Test
    void aNeuronPositionOutOfBoundsSaysThem() {
        String neuron = "{\"type\":\"neuron\",\"layer\":\"conv1\",\"filter\":0,\"%s\":%s}";
        assertEquals("neuron \"x\" must be a whole number from 0 to its layer's map width less 1, got 1.0E300",
                refusal(neuron.formatted("x", "1e300")));
        assertEquals("neuron \"y\" must be a whole number from 0 to its layer's map height less 1, got 99999999999999999999",
                refusal(neuron.formatted("y", "99999999999999999999")));
    }

    /** x 40 (or -1) was refused with the map's size and both axes' bounds, or at reading with no bounds at all. */
    @Test
    void aNeuronOffItsMapIsRefusedNamingTheLayersWidthOrHeight() throws Exception {
        String neuron = "{\"type\":\"neuron\",\"layer\":\"conv1\",\"filter\":0,\"%s\":%s}";
        List<String> refusals = new java.util.ArrayList<>();
        for (String[] xy : new String[][] {{"x", "40"}, {"x", "-1"}, {"y", "30"}}) {
            Objective o = OBJECTIVES.parse(new ObjectMapper().readTree(neuron.formatted(xy[0], xy[1])));
            refusals.add(assertThrows(UserError.class,
                    () -> NeuronObjective.checkAll(List.of(o), layer -> new long[] {30, 14}, "28 px")).getMessage());
        }
        assertEquals(List.of("neuron x 40 is outside layer conv1's width 0-13 at 28 px",
                "neuron x -1 is outside layer conv1's width 0-13 at 28 px",
                "neuron y 30 is outside layer conv1's height 0-29 at 28 px"), refusals);
        NeuronObjective.checkAll(List.of(new NeuronObjective("conv1", 0, 13, 29)), layer -> new long[] {30, 14}, "28 px");
    }
}
