package io.github.jdalle.dallebart.text;

import io.github.jdalle.convert.FlaxMsgpack;
import io.github.jdalle.core.WeightSource;
import io.github.jdalle.core.sampling.RandomStream;
import io.github.jdalle.core.testing.Golden;
import io.github.jdalle.dallebart.PromptTokens;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The normalizer against {@code testdata/golden/text_normalizer} (upstream TextNormalizer; exact). */
class TextNormalizerTest {
    private static final TextNormalizer NORMALIZER = new TextNormalizer(GoldenText.hashtags());

    @Test
    void everyGoldenPromptGivesTheGoldenTextAndIds() {
        JsonNode cases = GoldenText.manifest("text_normalizer").get("cases");
        BartTokenizer tokenizer = GoldenText.tokenizer();
        assertEquals(43, cases.size());
        for (JsonNode testCase : cases) {
            String input = testCase.get("input").stringValue();
            String normalized = NORMALIZER.normalize(input);
            assertEquals(testCase.get("normalized").stringValue(), normalized, "normalized " + input);
            assertArrayEquals(GoldenText.ints(testCase.get("input_ids")), tokenizer.encode(normalized).ids(), "ids of " + input);
        }
    }

    /**
     * Expected values: upstream {@code text.py} (f698aa3) run on these prompts with emoji 2.2.0, Unidecode 1.3.6,
     * ftfy as identity and the golden word list (none of these prompts has anything ftfy would change).
     */
    private static final String[][] UPSTREAM_CASES = {
            {"\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438", " moskva, stolitsa rossii"},
            {"\u5317\u4eac\u70e4\u9e2d\u548c\u5bff\u53f8", " bei jing kao ya he shou si"},
            {"\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", " mrhb bl \" lm"},
            {"\ud83d\udc36\ud83d\udc31\ud83e\udd8a", " dog face, cat face, fox"},
            {"\ud83d\udc4d\ud83c\udffd\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc66\ud83c\uddfa\ud83c\uddf8", " thumbs up medium skin tone, family man woman boy, united states"},
            {"\u2764\ufe0f love", " red heart, love"},
            {"\u3053\u3093\u306b\u3061\u306f \u30e9\u30fc\u30e1\u30f3", " konnichiha ramen"},
            {"\u014a and \u014b", " ng and ng"},
            {"\u2460 \u2461 \u2462", " 1 2 3"},
            {"\ud835\udc01\ud835\udc28\ud835\udc25\ud835\udc1d \ud835\udd55\ud835\udd60\ud835\udd66\ud835\udd53\ud835\udd5d\ud835\udd56", " bold double"},
            {"\ud83c\uddf9\ud83c\uddf7 flag", " turkey, flag"},
            {"\ud83d\udc68\u200d", " "},
            {"a\ufe0fb", " ab"},
            {"\ufb01ne \ufb02owers", " fine flowers"},
            {"<person>, and <person> <person> talk", " people talk"},
            {"<person> and, <person>", " people"},
            {"<person>and<person>", " people"},
            {"", " "},
            {"   ", " "},
            {"[12]", " "},
            {"abc [1] def [2]", " abc, 1, def"},
            {"###", " "},
            {"#", " "},
            {"#a_b #c", " a b c"},
            {"hello #IloveNewYork2022!", " hello ilove new york 2022"},
            {"e\u0301te\u0301", " ete"},
            {"\u65e5\u672c\u8a9e #\u65e5\u672c", " ri ben yu r i ben"},
            {"ab\\cd", " ab cd"},
            {"a...b---c", " a, b, c"},
            {"100,000,000,000", " 100000000000"},
            {"1.000,5", " 1.000, 5"},
            {"x\u3000y", " x y"},
            {"\u03a9mega \u00b15 \u00b0C", " omega, 5 degc"},
            {"\u2122 \u00a9 \u00ae", " trade mark, copyright, registered"},
    };

    @Test
    void nonLatinScriptsEmojiAndOddInputMatchUpstream() {
        for (String[] testCase : UPSTREAM_CASES) {
            assertEquals(testCase[1], NORMALIZER.normalize(testCase[0]), "normalized " + testCase[0]);
        }
    }

    @Test
    void randomPromptsMatchUpstream() throws IOException {
        try (InputStream in = TextNormalizerTest.class.getResourceAsStream("upstream-normalizer-samples.json")) {
            JsonNode cases = JsonMapper.shared().readTree(in).get("cases");
            assertEquals(300, cases.size());
            for (JsonNode testCase : cases) {
                String input = testCase.get(0).stringValue();
                assertEquals(testCase.get(1).stringValue(), NORMALIZER.normalize(input), "normalized " + input);
            }
        }
    }

    @Test
    void lonePersonIsDrawnWithUpstreamWeightsFromTheCallersStream() {
        Set<String> words = Set.of(" x a person y", " x someone y", " x somebody y");
        Map<String, Integer> counts = new HashMap<>();
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            String normalized = NORMALIZER.normalize("x<PERSON>y", RandomStream.forImage(42, i));
            assertTrue(words.contains(normalized), normalized);
            counts.merge(normalized, 1, Integer::sum);
        }
        for (int i = 0; i < 100; i++) {
            assertEquals(NORMALIZER.normalize("x<person>y", RandomStream.forImage(7, i)),
                    NORMALIZER.normalize("x<person>y", RandomStream.forImage(7, i)), "same stream, same word");
        }
        // weights 282265 : 121194 : 12219 of 415678; 20 000 draws put each share within ±1.5 % (> 5 standard deviations)
        assertEquals(282265 / 415678.0, counts.get(" x a person y") / (double) draws, 0.015);
        assertEquals(121194 / 415678.0, counts.get(" x someone y") / (double) draws, 0.015);
        assertEquals(12219 / 415678.0, counts.getOrDefault(" x somebody y", 0) / (double) draws, 0.006);
        // the html-escaped tag becomes a person too (step 2 runs before step 6), one draw per lone token
        assertTrue(NORMALIZER.normalize("&lt;person&gt; and a dog, <person>", RandomStream.forImage(1, 0))
                .matches(" (a person|someone|somebody) and a dog, (a person|someone|somebody)"));
    }

    /** Long prompts; expected values are upstream's outputs on them (computed as above, in milliseconds there too). */
    @Test
    void tenThousandCharacterPromptsAreFastAndMatchUpstream() {
        String[][] cases = {
                {"a photo of a cat, ".repeat(600), " a photo of a cat" + ", a photo of a cat".repeat(599)},
                {"<person>".repeat(1_250), " people"},
                {", ".repeat(5_000), " "},
                {"\" ".repeat(5_000), " \""},
                {" ".repeat(10_000) + "x", " x"},
                {"#" + "newyorkcity".repeat(900), " " + "new york city ".repeat(900).strip()},
                {"<" + "a".repeat(10_000), " <a"},
                {"[1]" + " ".repeat(10_000) + "x", " x"},
                {"http" + "x".repeat(10_000), " "},
                {"aaaa".repeat(2_500), " a"},
                {"\uD83D\uDC36".repeat(5_000), " dog face" + ", dog face".repeat(4_999)},
                {"&amp;".repeat(2_000), " " + "& ".repeat(2_000).strip()},
        };
        for (String[] testCase : cases) {
            String normalized = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> NORMALIZER.normalize(testCase[0]),
                    () -> "prompt starting " + testCase[0].substring(0, 20));
            assertEquals(testCase[1], normalized, () -> "prompt starting " + testCase[0].substring(0, 20));
        }
    }

    @Test
    void longPromptIsTruncatedByTheTokenizer() {
        String normalized = NORMALIZER.normalize("A photo of a cat. ".repeat(560));
        PromptTokens tokens = GoldenText.tokenizer().encode(normalized);
        assertEquals(2, tokens.ids()[63]);
    }

    @Test
    void controlCharactersAreRemovedAsFtfyDoes() {
        // ftfy's remove_control_chars deletes C0 controls other than \t \n \f \r, DEL and the BOM outright
        String clean = "a cat on a mat";
        String noisy = "a c\u0001a\u001ct on\u007f a \ufeffm\u0008at\u001b";
        assertEquals(NORMALIZER.normalize(clean), NORMALIZER.normalize(noisy));
        // and whitespace controls stay whitespace
        assertEquals(" a cat on a mat", NORMALIZER.normalize("a\tcat\non\fa\r\nmat"));
        assertEquals(NORMALIZER.normalize("red cat"), NORMALIZER.normalize("\u001b[31mred\u001b[0m cat"));
    }

    @Test
    void ftfySubsetUncurlsQuotesAndWidensForms() {
        // „quoted“ → "quoted" (Unidecode alone would give ,,quoted"); ＆amp; becomes &amp; before unescaping
        assertEquals(NORMALIZER.normalize("\"quoted\" it's"), NORMALIZER.normalize("\u201equoted\u201c it\u2019s"));
        assertEquals(NORMALIZER.normalize("tom & jerry"), NORMALIZER.normalize("tom \uff06amp; jerry"));
    }

    @Test
    void loneSurrogatesAreDropped() {
        assertEquals(" ab", NORMALIZER.normalize("a\uD800b"));
        assertEquals(" ab", NORMALIZER.normalize("a\uDC00b"));
        assertEquals(" ", NORMALIZER.normalize("\uDBFF"));
    }

    @Test
    void emptyPromptIsOneSpace() {
        assertEquals(" ", NORMALIZER.normalize(""));
        assertArrayEquals(new int[]{0, 225, 2}, Arrays.copyOf(GoldenText.tokenizer().encode(NORMALIZER.normalize("")).ids(), 3));
    }

    @Test
    void readsTheWordListFromTheWeightFile() {
        try (WeightSource source = FlaxMsgpack.open(Golden.file("dallebart/model"))) {
            TextNormalizer normalizer = TextNormalizer.fromAssets(source);
            assertTrue(normalizer.hashtags().hasWordList());
            assertEquals(" new york city", normalizer.normalize("#NewYorkCity"));
        }
        assertEquals(" newyorkcity", new TextNormalizer(HashtagProcessor.none()).normalize("#NewYorkCity"));
    }
}
