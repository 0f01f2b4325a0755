/**
 * @file merge.h  `harness merge OUT DIR...`: the --report folders of the
 * jobs of a sharded run (`harness run --shard K/N --report DIR`) joined
 * into one report, as if one run had written it.
 *
 * Each shard's results.json carries every scenario's verdict, steps and
 * SIP messages (their exact bytes); merge reloads the scenario files it
 * names (run merge where the shards ran: same checkout, same paths),
 * orders the scenarios as one run over the same folder would, and writes
 * junit.xml, results.json, report.html, report.md and trace.pcap with the
 * ordinary writers.
 */

#ifndef SIPCONFORM_MERGE_H
#define SIPCONFORM_MERGE_H

/* argv[0] is "merge"; returns the exit status: 0 merged, 2 bad usage or
 * a shard folder that cannot be read (file: why), 3 OUT cannot be
 * written */
int report_merge_main(int argc, char *argv[]);

#endif
