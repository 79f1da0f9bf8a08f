package io.filterscope.engine.preset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.filterscope.UserError;
import io.filterscope.engine.optimizer.OptimizerSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String error(String params) {
        return assertThrows(UserError.class, () -> Presets.PLAIN.defaults().with(JSON.readTree(params))).getMessage();
    }

    @Test
    void paramsReplaceOnlyWhatTheyName() throws Exception {
        Settings s = Presets.SEED_CLASSIC.defaults().with(JSON.readTree("{\"blurSigma\":1.5,\"optimizer\":\"adam\",\"scale\":[0.9,1.1]}"));
        assertEquals(1.5, s.get(Params.BLUR_SIGMA));
        assertEquals(OptimizerSettings.Kind.ADAM, s.get(Params.OPTIMIZER_KIND));
        assertEquals(List.of(0.9, 1.1), s.get(Params.SCALE));
        assertEquals(0.995, s.get(Params.L2_DECAY), "the preset's own value stays");
    }

    @Test
    void everyPresetsSettingsSurviveTheirJsonForm() {
        for (Preset p : Presets.ALL) {
            assertEquals(p.defaults().toJson(), Presets.PLAIN.defaults().with(p.defaults().toJson()).toJson(), p.name());
        }
    }

    @Test
    void mistakesAreNamedWithWhatWasExpected() {
        String unknown = error("{\"blur\":1}");
        assertTrue(unknown.contains("unknown param 'blur'") && unknown.contains("did you mean 'blurSigma'"), unknown);
        assertTrue(error("{\"blurSigmaa\":1}").contains("did you mean 'blurSigma'"));
        assertTrue(error("{\"lr\":-1}").contains("lr must be between 1.0E-6 and 10.0, got -1.0"));
        assertTrue(error("{\"blurSigma\":\"x\"}").contains("param 'blurSigma' must be a number"));
        assertTrue(error("{\"blurEvery\":1.5}").contains("param 'blurEvery' must be a whole number"));
        assertEquals("leakySteps must be between 0 and 100000, got 3000000000", error("{\"leakySteps\":3000000000}"),
                "a whole number beyond 32 bits is out of range, not 'no whole number'");
        assertTrue(error("{\"optimizer\":\"sgd\"}").contains("optimizer must be \"ascent\" or \"adam\""));
        assertTrue(error("{\"decorrelate\":1}").contains("must be true or false"));
        assertTrue(error("{\"scale\":[0.1]}").contains("scale factor must be between 0.25 and 4.0"));
        assertTrue(error("[1]").contains("params must be a JSON object"));
    }

    @Test
    void javaSideValuesAreCheckedAgainstTheSameBounds() {
        assertThrows(UserError.class, () -> Presets.PLAIN.defaults().with(Params.BLUR_SIGMA, 11.0));
    }
}
