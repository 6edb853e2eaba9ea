-- Seed data: plans and the industry templates sites pick sectors from.

INSERT INTO auth.plans (id, slug, name, price_cents, max_sites, max_users, max_keywords, max_sectors_per_site, included_credits, is_default, sort_order) VALUES
    ('32333666-b7c9-5480-9425-02c112cba358', 'free', 'Free', 0, 1, 3, 100, 2, 100, true, 0),
    ('d6217fe7-ce34-5711-b7b2-96bed6578062', 'starter', 'Starter', 10000, 2, 3, 500, 3, 1000, false, 1),
    ('6320b31c-8fcf-5504-8e5c-4e7c10357a44', 'growth', 'Growth', 20000, 5, 5, 2000, 5, 2000, false, 2),
    ('44ecf50a-817e-5029-922b-b423c838c088', 'scale', 'Scale', 50000, 99, 10, 5000, 10, 5000, false, 3);

INSERT INTO auth.industries (id, slug, name, description, sort_order) VALUES
    ('26867768-a3c2-5cd6-9a86-9cc1b95a611a', 'technology', 'Technology', 'Software, hardware and the internet', 0),
    ('63c2e0a6-636f-5c5f-8ac5-4ebc0fdab8dd', 'health-wellness', 'Health & Wellness', 'Fitness, nutrition and medical topics', 1),
    ('52fdd08a-25b9-5a16-8db2-a36e99c1d84d', 'finance', 'Finance', 'Personal finance, investing and banking', 2),
    ('83296820-cdf6-5753-b219-d72ed5492ba8', 'home-garden', 'Home & Garden', 'Home improvement, interiors and gardening', 3),
    ('ef96a24e-f847-5055-aec5-93a5879f59d4', 'travel', 'Travel', 'Destinations, hospitality and trip planning', 4),
    ('cc5c9dd8-6675-569b-b0f8-7ab2cdfb37a3', 'ecommerce', 'E-commerce', 'Online retail and marketplaces', 5),
    ('822c7499-2e64-5819-86b2-e0a725f80d03', 'marketing', 'Marketing', 'Digital marketing and growth', 6);

INSERT INTO auth.industry_sectors (id, industry_id, slug, name, sort_order) VALUES
    ('0e31d8a4-7ad7-561f-9e84-374e41ba21f5', '26867768-a3c2-5cd6-9a86-9cc1b95a611a', 'saas', 'SaaS', 0),
    ('a876ad94-1da8-579e-919a-efa3550a3789', '26867768-a3c2-5cd6-9a86-9cc1b95a611a', 'cybersecurity', 'Cybersecurity', 1),
    ('92455b7e-e91b-5520-b5a8-79bb742cfb77', '26867768-a3c2-5cd6-9a86-9cc1b95a611a', 'artificial-intelligence', 'Artificial Intelligence', 2),
    ('e1e2e9dc-f017-5df2-8429-74c3f803a28c', '26867768-a3c2-5cd6-9a86-9cc1b95a611a', 'web-development', 'Web Development', 3),
    ('47582357-8127-5368-be71-a382a178d61f', '26867768-a3c2-5cd6-9a86-9cc1b95a611a', 'consumer-electronics', 'Consumer Electronics', 4),
    ('d3a81645-a3b5-5f1c-aad7-7763a1353ca2', '63c2e0a6-636f-5c5f-8ac5-4ebc0fdab8dd', 'fitness', 'Fitness', 0),
    ('05ff8f4d-8619-5997-9d64-823c1cbf0849', '63c2e0a6-636f-5c5f-8ac5-4ebc0fdab8dd', 'nutrition', 'Nutrition', 1),
    ('01892e61-d08b-5c91-8a7a-f1ad498f2a9d', '63c2e0a6-636f-5c5f-8ac5-4ebc0fdab8dd', 'mental-health', 'Mental Health', 2),
    ('078b7fa6-cc2f-5e59-9f36-1138349c5bcd', '63c2e0a6-636f-5c5f-8ac5-4ebc0fdab8dd', 'skincare', 'Skincare', 3),
    ('129ef83a-a2e7-509a-af3e-5bacc01caddd', '63c2e0a6-636f-5c5f-8ac5-4ebc0fdab8dd', 'supplements', 'Supplements', 4),
    ('bfaedf18-d954-572b-a63b-ce249b6db926', '52fdd08a-25b9-5a16-8db2-a36e99c1d84d', 'personal-finance', 'Personal Finance', 0),
    ('d780ae6e-68ca-53c8-9154-5751ff2d380d', '52fdd08a-25b9-5a16-8db2-a36e99c1d84d', 'investing', 'Investing', 1),
    ('36d8a9de-6883-54f0-9db7-e614e7fc70fe', '52fdd08a-25b9-5a16-8db2-a36e99c1d84d', 'cryptocurrency', 'Cryptocurrency', 2),
    ('f01fa584-c2ea-5c25-94ba-7a3e6351945c', '52fdd08a-25b9-5a16-8db2-a36e99c1d84d', 'insurance', 'Insurance', 3),
    ('7214e67c-6c34-5260-b397-ca4bd730c643', '52fdd08a-25b9-5a16-8db2-a36e99c1d84d', 'banking', 'Banking', 4),
    ('7f64ca09-e15e-5583-96b9-81628cac3ed1', '83296820-cdf6-5753-b219-d72ed5492ba8', 'interior-design', 'Interior Design', 0),
    ('ac191f08-8682-5546-ab77-f01d88028152', '83296820-cdf6-5753-b219-d72ed5492ba8', 'gardening', 'Gardening', 1),
    ('628a3585-9820-5d39-b8b1-c1a6870ed785', '83296820-cdf6-5753-b219-d72ed5492ba8', 'home-improvement', 'Home Improvement', 2),
    ('72aba04b-675a-5ffc-91e5-afbae11cafa4', '83296820-cdf6-5753-b219-d72ed5492ba8', 'furniture', 'Furniture', 3),
    ('b69311e0-93fa-50ed-91bf-bb584a4c3b09', '83296820-cdf6-5753-b219-d72ed5492ba8', 'kitchen', 'Kitchen', 4),
    ('b1376793-fc11-5cfb-8055-e6d66faf7abd', 'ef96a24e-f847-5055-aec5-93a5879f59d4', 'destinations', 'Destinations', 0),
    ('c1e5b972-55bc-567a-85d6-d364b86884ec', 'ef96a24e-f847-5055-aec5-93a5879f59d4', 'hotels', 'Hotels', 1),
    ('163766e2-0a8a-5862-83cb-6a2ee97f6ccd', 'ef96a24e-f847-5055-aec5-93a5879f59d4', 'travel-tips', 'Travel Tips', 2),
    ('e6d00ae3-b551-55ea-a8c0-9d446cf1fa1f', 'ef96a24e-f847-5055-aec5-93a5879f59d4', 'adventure-travel', 'Adventure Travel', 3),
    ('55f92677-8b88-5114-9e5e-07e4644d7250', 'ef96a24e-f847-5055-aec5-93a5879f59d4', 'budget-travel', 'Budget Travel', 4),
    ('c9cbfec2-07db-5c63-92b7-e32e11cd12ce', 'cc5c9dd8-6675-569b-b0f8-7ab2cdfb37a3', 'fashion', 'Fashion', 0),
    ('f307248a-295a-5f3d-92a6-4dd9d1c29926', 'cc5c9dd8-6675-569b-b0f8-7ab2cdfb37a3', 'beauty', 'Beauty', 1),
    ('810052f4-340b-50a0-957e-25da74d821ad', 'cc5c9dd8-6675-569b-b0f8-7ab2cdfb37a3', 'pet-supplies', 'Pet Supplies', 2),
    ('9ad9ae75-1322-585f-8322-c6e0c4624ce2', 'cc5c9dd8-6675-569b-b0f8-7ab2cdfb37a3', 'sports-outdoors', 'Sports & Outdoors', 3),
    ('332b2342-e5a5-540f-a257-df9f21c36523', 'cc5c9dd8-6675-569b-b0f8-7ab2cdfb37a3', 'toys-games', 'Toys & Games', 4),
    ('5bd1ebe9-f29b-5142-83bb-d6f085062e8e', '822c7499-2e64-5819-86b2-e0a725f80d03', 'seo', 'SEO', 0),
    ('9d400619-b4e6-53d8-8d31-28ecf7ef8d60', '822c7499-2e64-5819-86b2-e0a725f80d03', 'content-marketing', 'Content Marketing', 1),
    ('57e6eff4-d67d-533f-a1d2-5ea9dc9c5660', '822c7499-2e64-5819-86b2-e0a725f80d03', 'social-media', 'Social Media', 2),
    ('16a0fa04-56da-57f9-a56b-5f5a8c382724', '822c7499-2e64-5819-86b2-e0a725f80d03', 'email-marketing', 'Email Marketing', 3),
    ('e850c04e-7628-5363-964c-9c3e6d3f62b3', '822c7499-2e64-5819-86b2-e0a725f80d03', 'paid-advertising', 'Paid Advertising', 4);
