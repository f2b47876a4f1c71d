"""Value lists the CreateOpportunity documentation gives but the model types as plain strings.

Source: the CreateOpportunity API documentation (shared/seeds/000_f7cabb2c1ecc4ad6.txt, "Valid
values" of each field), spelled exactly as written there. Enums that the botocore model carries
are not repeated here.
"""

APN_PROGRAMS = frozenset({
    "APN Immersion Days", "APN Solution Space", "ATO (Authority to Operate)", "AWS Marketplace Campaign",
    "IS Immersion Day SFID Program", "ISV Workload Migration", "Migration Acceleration Program", "P3",
    "Partner Launch Initiative", "Partner Opportunity Acceleration Funded", "The Next Smart",
    "VMware Cloud on AWS", "Well-Architected", "Windows", "Workspaces/AppStream Accelerator Program",
    "WWPS NDPP",
})

CUSTOMER_USE_CASES = frozenset({
    "AI Machine Learning and Analytics", "Archiving",
    "Big Data: Data Warehouse/Data Integration/ETL/Data Lake/BI", "Blockchain",
    "Business Applications: Mainframe Modernization", "Business Applications & Contact Center",
    "Business Applications & SAP Production", "Centralized Operations Management", "Cloud Management Tools",
    "Cloud Management Tools & DevOps with Continuous Integration & Continuous Delivery (CICD)",
    "Configuration, Compliance & Auditing", "Connected Services", "Containers & Serverless",
    "Content Delivery & Edge Services", "Database", "Edge Computing/End User Computing", "Energy",
    "Enterprise Governance & Controls", "Enterprise Resource Planning", "Financial Services",
    "Healthcare and Life Sciences", "High Performance Computing", "Hybrid Application Platform",
    "Industrial Software", "IOT", "Manufacturing, Supply Chain and Operations",
    "Media & High performance computing (HPC)", "Migration/Database Migration",
    "Monitoring, logging and performance", "Monitoring & Observability", "Networking", "Outpost", "SAP",
    "Security & Compliance", "Storage & Backup", "Training", "VMC", "VMWare", "Web development & DevOps",
})

MARKETING_USE_CASES = frozenset({
    "AI/ML", "Analytics", "Application Integration", "Blockchain", "Business Applications",
    "Cloud Financial Management", "Compute", "Containers", "Customer Engagement", "Databases",
    "Developer Tools", "End User Computing", "Front End Web & Mobile", "Game Tech", "IoT",
    "Management & Governance", "Media Services", "Migration & Transfer", "Networking & Content Delivery",
    "Quantum Technologies", "Robotics", "Satellite", "Security", "Serverless", "Storage", "VR & AR",
})

# Contact.BusinessTitle in OpportunityTeam "supports either PartnerAccountManager or OpportunityOwner"
# (seed, OpportunityTeam.BusinessTitle).
PARTNER_ACCOUNT_MANAGER = "PartnerAccountManager"
OPPORTUNITY_OWNER = "OpportunityOwner"
TEAM_TITLES = (PARTNER_ACCOUNT_MANAGER, OPPORTUNITY_OWNER)
