package io.github.jdalle;

import java.util.List;

/**
 * What one {@link DalleMini#generate} call made.
 *
 * @param request the request
 * @param prompts per prompt, in request order, its pictures and their ranking
 * @param timings where the time went
 */
public record Generation(GenerationRequest request, List<PromptPictures> prompts, Timings timings) {
    public Generation {
        prompts = List.copyOf(prompts);
    }

    /** Every picture in request order: prompt by prompt, each prompt's pictures in generation order. */
    public List<Picture> pictures() {
        return prompts.stream().flatMap(p -> p.pictures().stream()).toList();
    }
}
