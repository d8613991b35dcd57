/*
 * tour.h — `hvsim tour`: the guided tour of the architecture. Its chapters
 * are the scenarios in scenarios/tour/ (one per box of the architecture
 * diagram, in file-name order), each with a description: saying what to
 * look at; `hvsim tour N` runs chapter N and writes its run report.
 */
#ifndef SIM_TOOLS_TOUR_H
#define SIM_TOOLS_TOUR_H

extern const char tour_usage[];

/* argv: the arguments after "tour"; root: the source tree, where
 * scenarios/tour/ is looked for when the current directory has none.
 * Returns the exit status (the chapter's run's, 2 for bad usage). */
int tour_main(int argc, char **argv, const char *root);

#endif /* SIM_TOOLS_TOUR_H */
