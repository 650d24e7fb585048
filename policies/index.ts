// berth's policy pack: the rules are in rules.ts, their enforcement per stack in config/.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("berth", { policies });
