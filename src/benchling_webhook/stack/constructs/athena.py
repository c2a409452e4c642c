"""The Athena workgroup of linked-package queries, when the Quilt stack offers no usable one.

Setup chooses this (``quilt.createAthenaWorkgroup``) when the Quilt stack exports no workgroup, or one the
checks refuse. The workgroup stores query results in *managed* storage: Athena keeps them itself, encrypted,
for 24 hours, so there is no results bucket to create, to grant or to clean up, and the task role gets no
S3 rights for results (docs/aws.md, "Athena"). The workgroup enforces that configuration, so no query can
send its results elsewhere. Deleting the stack deletes the workgroup with what it holds.
"""

from __future__ import annotations

from aws_cdk import aws_athena as athena
from constructs import Construct


class LinkedPackagesWorkgroup(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name: str) -> None:
        super().__init__(scope, construct_id)
        self.workgroup = athena.CfnWorkGroup(
            self, "Workgroup", name=name, state="ENABLED", recursive_delete_option=True,
            description="benchling-webhook: linked-package queries, results managed by Athena",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=False,
                managed_query_results_configuration=athena.CfnWorkGroup.ManagedQueryResultsConfigurationProperty(
                    enabled=True),
            ),
        )
        self.name = self.workgroup.ref  # Ref of a workgroup is its name; the token makes tasks wait for it
