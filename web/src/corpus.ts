// The built-in training text: short, simple stories written for this project
// (public domain / CC0). Small on purpose: a character-level model of a few
// thousand parameters can learn its spelling and rhythm in a few hundred steps.
// Plain ASCII keeps the character vocabulary small (about 50 symbols).

export const CORPUS_TITLE = 'Little stories (written for this project, CC0)';

export const CORPUS = `Once upon a time there was a little red boat. The boat lived by the sea. Every morning the boat went out on the water and came back at night. One day the wind was very strong. The little boat was scared, but it did not stop. It sailed home slowly, and the sun came out again. The boat was happy.

Tom had a small dog named Pip. Pip liked to run in the park. One day Pip saw a big ball under a tree. Pip ran to the ball and pushed it with his nose. The ball rolled down the hill. Tom laughed and ran after it. They played with the ball until the sky was orange. Then they went home and ate dinner.

Lily found a seed in the garden. She put the seed in a pot and gave it water. Every day she looked at the pot. For many days nothing happened. Lily was sad, but her mom said, "Wait a little more." One morning there was a tiny green leaf. Lily smiled. The leaf grew into a tall flower, and the flower was yellow like the sun.

There was a cat who did not like the rain. When the rain came, the cat sat by the window and watched the drops. A bird sat on the fence outside. The bird did not mind the rain. "Why are you happy?" asked the cat. "Because the rain makes the worms come out," said the bird. The cat thought about it and went back to sleep.

Ben wanted to build a tower. He took all his blocks and put them one on top of the other. The tower was tall. It was taller than Ben. Then his little sister came and touched it, and the tower fell down. Ben was angry. Then he saw that his sister was sad too. "Let us build it again together," said Ben. They built a tower that was even taller.

An old owl lived in a big tree at the edge of the forest. At night the owl could see everything. The mice were afraid of the owl, but the owl was kind. One night a little mouse was lost. The owl flew down and said, "Follow the light of the moon, and you will find your home." The mouse ran along the silver path and found its family.

Sam and Mia went to the beach. They made a castle out of sand. Sam dug a moat and Mia put shells on the walls. A wave came and filled the moat with water. "Now the castle has a river," said Mia. They sat and watched the water move in and out until it was time to go.

The moon asked the sun, "Why do you get to see the children play?" The sun said, "Because I come in the day. But you see them dream." The moon liked that. Every night the moon looked into the windows and saw the children sleeping, and the moon was not lonely any more.

A small robot lived in a quiet town. The robot could count, sweep the floor and water the plants. One day a girl asked the robot, "Can you sing?" The robot did not know how. It listened to the birds and to the wind and to the girl. Then it tried. Its song was strange and slow, but the girl clapped, and the robot was proud.

Grandma made soup on a cold day. She put in carrots, potatoes, onions and a little salt. The house smelled warm and good. Nina helped her stir the pot. "Soup is better when you make it with someone," said Grandma. They ate the soup by the fire and told stories until it was dark.

A frog sat on a green leaf in the pond. He wanted to jump to the big rock, but the rock was far away. He tried once and fell into the water. He tried again and fell again. The fish laughed at him. The frog did not give up. On the third try he jumped very high and landed on the rock. Now the fish did not laugh. They cheered.

The baker woke up before the sun. He made bread, cakes and small sweet rolls. People came in the morning and bought the warm bread. A boy had no money, so he looked at the cakes through the window. The baker opened the door and gave him a roll. The next day the boy came back and helped the baker carry the flour.
`;
